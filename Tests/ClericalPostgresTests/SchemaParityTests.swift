import ClericalCore
@testable import ClericalPostgres
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

/// The PostgreSQL schema is the SQLite schema in another dialect: the same migrations, tables
/// and columns, and `clerical copy` moves every column of every table but the derived ones.
final class SchemaParityTests: XCTestCase {
    func testThePostgreSQLSchemaStandsForEverySQLiteMigration() {
        XCTAssertEqual(PostgresSchema.sqliteIdentifiers, QueueSchema.migrator.migrations,
                       "a new SQLite migration needs its PostgreSQL step in PostgresSchema.migrations")
    }

    /// (table, columns in order) of a new SQLite queue, without GRDB's own table.
    func sqliteTables() throws -> [String: [String]] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID().uuidString).db").path
        defer { QueueFile.remove(path: path) }
        let queue = try QueueFile.open(path: path, create: true)
        defer { try? queue.close() }
        return try queue.read { db in
            var tables: [String: [String]] = [:]
            for name in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'grdb_migrations'") {
                tables[name] = try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [name]).map { $0["name"] }
            }
            return tables
        }
    }

    func testTheCopiedTablesAreEveryTableWithEveryColumn() throws {
        var tables = try sqliteTables()
        for derived in QueueTable.derived { XCTAssertNotNil(tables.removeValue(forKey: derived)) }
        XCTAssertEqual(Set(QueueTable.copied.map(\.name)), Set(tables.keys), "copy moves every table but the derived ones")
        for table in QueueTable.copied {
            XCTAssertEqual(Set(table.columns.map(\.name)), Set(tables[table.name] ?? []), "\(table.name): the columns copy moves")
        }
    }

    func testBothBackendsHaveTheSameTablesAndColumns() throws {
        let server = try postgresTestServer()
        let schema = "clerical_parity_\(UUID().uuidString.prefix(8).lowercased())"
        let link = try PostgresLink.open(try PostgresAddress(url: url(server, schema: schema)))
        defer {
            try? link.run("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            link.close()
        }
        try link.transaction { () throws(ClericalError) in try PostgresQueue.create(link) }
        var postgres: [String: [String]] = [:]
        for row in try link.rows("""
            SELECT table_name::text, column_name::text FROM information_schema.columns
            WHERE table_schema = '\(schema)' AND table_name <> 'schema_migration' ORDER BY table_name, ordinal_position
            """) {
            postgres[try PostgresQueue.text(row, 0), default: []].append(try PostgresQueue.text(row, 1))
        }
        let sqlite = try sqliteTables()
        XCTAssertEqual(Set(postgres.keys), Set(sqlite.keys))
        for (table, columns) in sqlite {
            XCTAssertEqual(Set(postgres[table] ?? []), Set(columns), "\(table): the same columns on both backends")
        }
    }
}
