import Foundation
import XCTest

/// The test server's URL (`CLERICAL_TEST_POSTGRES`, without a schema; `.ci/run` starts one), or a
/// skip. With `CLERICAL_REQUIRE_POSTGRES=1`, as in CI, a missing server fails the test.
func postgresTestServer() throws -> String {
    let environment = ProcessInfo.processInfo.environment
    if let server = environment["CLERICAL_TEST_POSTGRES"], !server.isEmpty { return server }
    if environment["CLERICAL_REQUIRE_POSTGRES"] == "1" {
        XCTFail("CLERICAL_REQUIRE_POSTGRES=1 but CLERICAL_TEST_POSTGRES is not set")
    }
    throw XCTSkip("CLERICAL_TEST_POSTGRES is not set: no PostgreSQL server to test against (.ci/run starts one)")
}

/// `schema` on the test server.
func url(_ server: String, schema: String) -> String {
    server + (server.contains("?") ? "&" : "?") + "schema=\(schema)"
}
