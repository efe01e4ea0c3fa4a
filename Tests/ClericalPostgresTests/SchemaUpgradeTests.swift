import ClericalCore
@testable import ClericalPostgres
@testable import ClericalStore
import Foundation
import XCTest

/// A queue an earlier build made on the server is brought up to date when its owner opens it,
/// as a queue file is: afterwards it is the schema this build makes, index for index and
/// function for function.
final class SchemaUpgradeTests: XCTestCase {
    /// What a schema holds that a build makes: its steps, indexes, storage options, functions and
    /// triggers, with the schema's own name taken out so that two schemas compare.
    func shape(of schema: String, _ link: PostgresLink) throws -> [String] {
        var lines: [String] = []
        for (label, sql) in [
            ("step", "SELECT identifier FROM \(schema).schema_migration ORDER BY 1"),
            ("index", "SELECT indexdef::text FROM pg_indexes WHERE schemaname = '\(schema)' ORDER BY indexname"),
            ("storage", """
                SELECT relname || ' ' || array_to_string(reloptions, ',') FROM pg_class
                WHERE relnamespace = '\(schema)'::regnamespace AND reloptions IS NOT NULL ORDER BY relname
                """),
            ("routine", """
                SELECT pg_get_functiondef(p.oid)::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = '\(schema)' ORDER BY p.proname
                """),
            ("trigger", """
                SELECT pg_get_triggerdef(t.oid)::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '\(schema)' AND NOT t.tgisinternal ORDER BY t.tgname
                """),
        ] {
            for row in try link.rows(sql) {
                lines.append("\(label): " + (try PostgresQueue.text(row, 0)).replacingOccurrences(of: schema, with: "SCHEMA"))
            }
        }
        return lines
    }

    /// The lines only one side has, marked with the side ("upgraded:" or "fresh:").
    func difference(_ upgraded: [String], _ fresh: [String]) -> [String] {
        Set(upgraded).subtracting(fresh).map { "upgraded: " + $0 }.sorted() + Set(fresh).subtracting(upgraded).map { "fresh: " + $0 }.sorted()
    }

    func testAnEarlierBuildsQueueOpenedByItsOwnerBecomesTheQueueThisBuildMakes() throws {
        let server = try postgresTestServer()
        let prefix = "clerical_upgrade_\(UUID().uuidString.prefix(6).lowercased())"
        let admin = try PostgresLink.open(try PostgresAddress(url: url(server, schema: "public")))
        defer { admin.close() }
        let steps = PostgresSchema.migrations.count
        var made: [String] = []
        defer { for schema in made { try? admin.run("DROP SCHEMA IF EXISTS \(schema) CASCADE") } }

        let fresh = "\(prefix)_fresh"
        made.append(fresh)
        let freshLink = try PostgresLink.open(try PostgresAddress(url: url(server, schema: fresh)))
        try freshLink.transaction { () throws(ClericalError) in try PostgresQueue.create(freshLink) }
        freshLink.close()
        let expected = try shape(of: fresh, admin)
        XCTAssertEqual(expected.filter { $0.hasPrefix("step: ") }.count, PostgresSchema.identifiers.count)

        for had in 1..<steps {
            let schema = "\(prefix)_\(had)"
            made.append(schema)
            let address = try PostgresAddress(url: url(server, schema: schema))
            let old = try PostgresLink.open(address)
            try old.transaction { () throws(ClericalError) in try PostgresQueue.create(old, steps: had) }
            // An earlier build's body for a function this build keeps: a refusal that let
            // changes through. The upgrade defines it again as this build does.
            try old.run("""
                CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RETURN NULL; END $$
                """)
            old.close()
            XCTAssertFalse(difference(try shape(of: schema, admin), expected).isEmpty, "\(had) steps: not yet this build's queue")

            let queue = try PostgresQueue.open(address)
            queue.close()
            XCTAssertEqual(difference(try shape(of: schema, admin), expected), [], "a queue of the first \(had) steps, upgraded")
            // Opened again, there is nothing left to do.
            let again = try PostgresQueue.open(address)
            again.close()
            XCTAssertEqual(difference(try shape(of: schema, admin), expected), [])
        }
    }

    /// Owners' processes that open an earlier build's queue at once: one upgrades it, the others
    /// wait for it and find nothing left to do; none fails.
    func testOwnersOpeningAtOnceUpgradeItOnce() throws {
        let server = try postgresTestServer()
        let schema = "clerical_upgrade_\(UUID().uuidString.prefix(6).lowercased())_race"
        let address = try PostgresAddress(url: url(server, schema: schema))
        let admin = try PostgresLink.open(try PostgresAddress(url: url(server, schema: "public")))
        defer {
            try? admin.run("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            admin.close()
        }
        let old = try PostgresLink.open(address)
        try old.transaction { () throws(ClericalError) in try PostgresQueue.create(old, steps: 1) }
        old.close()

        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let queue = try PostgresQueue.open(address)
                queue.close()
            } catch {
                failures.add("\(error)")
            }
        }
        XCTAssertEqual(failures.all, [])
        XCTAssertEqual(try shape(of: schema, admin).filter { $0.hasPrefix("step: ") }.count, PostgresSchema.identifiers.count)
    }
}

/// Errors gathered from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [String] = []
    func add(_ error: String) { lock.withLock { errors.append(error) } }
    var all: [String] { lock.withLock { errors } }
}
