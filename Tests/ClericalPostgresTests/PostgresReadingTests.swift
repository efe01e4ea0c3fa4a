@testable import ClericalPostgres
@testable import ClericalStore
import Foundation
import XCTest

/// A cell reads on the server as SQLite would give it: a `sum` of bigints is `numeric` there,
/// sent in binary, and must read as the number it is, by both read paths (a report's
/// `queueRows`, the screen's prepared statements).
final class PostgresReadingTests: XCTestCase {
    func testANumericReadsAsTheNumberItIs() throws {
        let server = try postgresTestServer()
        let link = try PostgresLink.open(try PostgresAddress(url: url(server, schema: "public")))
        defer { link.close() }
        let sql = """
            SELECT (SELECT sum(x) FROM (VALUES (6583::bigint), (2::bigint)) v(x)),
                   (SELECT sum(x) FROM (VALUES (1.25::numeric), (2::numeric)) v(x)),
                   (SELECT sum(x) FROM (VALUES (-40000000000::bigint)) v(x)),
                   (SELECT sum(x) FROM (VALUES (1::bigint)) v(x) WHERE false)
            """
        let expected: [TableValue] = [.integer(6585), .real(3.25), .integer(-40_000_000_000), .null]
        XCTAssertEqual(try link.queueRows(sql, []).first?.values, expected)
        XCTAssertEqual(try link.queuePreparedRows(sql, []).first?.values, expected)
    }
}
