import ClericalCore
import ClericalStore
import Foundation
import PostgresNIO

/// A queue in a PostgreSQL schema: opening it (the schema must hold a queue of this build's
/// version), creating one, and the access rule, with the account being the authenticated
/// database role (`session_user`).
///
///     let queue = try PostgresQueue.open(try PostgresAddress(url: "postgresql://ana@db/linkage?schema=wave3"))
///     defer { queue.close() }
///     try queue.require(.verify)
package struct PostgresQueue: Sendable {
    package let link: PostgresLink
    package var address: PostgresAddress { link.address }

    /// Opens an existing queue; a missing schema, or one that is not a queue of this version, is a
    /// data error (65) naming what was found.
    package static func open(_ address: PostgresAddress) throws(ClericalError) -> PostgresQueue {
        let link = try PostgresLink.open(address)
        do {
            try checkVersion(link)
        } catch {
            link.close()
            throw error
        }
        return PostgresQueue(link: link)
    }

    package func close() { link.close() }

    /// The account PostgreSQL authenticated: who decides, and whom the roles are checked for.
    package func account() throws(ClericalError) -> String {
        guard let row = try link.rows("SELECT session_user::text").first else { return address.user }
        return try Self.text(row, 0)
    }

    /// Refuses (77, naming who may) unless the session's role may do `action`, as on SQLite.
    package func require(_ action: QueueAction) throws(ClericalError) {
        if let reason = try accessRule().refusal(of: action, by: try account()) {
            throw ClericalError(.notPermitted, "\(address): \(reason)")
        }
    }

    /// The queue's registered reviewers, as the rule that says who may do what.
    package func accessRule() throws(ClericalError) -> AccessRule {
        var reviewers: [String: ReviewerRole] = [:]
        for row in try link.rows("SELECT name, role FROM reviewer") {
            if let role = ReviewerRole(rawValue: try Self.text(row, 1)) { reviewers[try Self.text(row, 0)] = role }
        }
        return AccessRule(reviewers: reviewers)
    }

    // MARK: - The schema

    private static func checkVersion(_ link: PostgresLink) throws(ClericalError) {
        let schema = link.address.schema
        let found = try link.rows("""
            SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = '\(schema)')::bigint,
                   (to_regclass('\(schema).schema_migration') IS NOT NULL)
            """)
        guard let row = found.first else { return }
        let schemaExists = try decode(row, 0, as: Int64.self) > 0
        let hasVersions = try decode(row, 1, as: Bool.self)
        guard schemaExists else {
            throw ClericalError(.dataError, "\(link.address): no schema \(schema); create the queue with `clerical copy QUEUE.db \(link.address)`")
        }
        guard hasVersions else {
            throw ClericalError(.dataError, "\(link.address): schema \(schema) is not a clerical queue")
        }
        var applied: [String] = []
        for row in try link.rows("SELECT identifier FROM schema_migration ORDER BY identifier") { applied.append(try text(row, 0)) }
        let known = PostgresSchema.identifiers
        guard applied == known.sorted() else {
            let newer = Set(applied).subtracting(known).count
            let detail = newer > 0 ? "made by a newer clerical (\(newer) migration\(newer == 1 ? "" : "s") this build does not know)"
                : "\(known.count - applied.count) migration\(known.count - applied.count == 1 ? "" : "s") behind this build"
            throw ClericalError(.dataError, "\(link.address): schema \(schema) holds a queue of another version, \(detail)")
        }
    }

    /// Creates the queue's schema and tables inside the caller's transaction; refuses a schema
    /// that already has tables in it.
    package static func create(_ link: PostgresLink) throws(ClericalError) {
        let schema = link.address.schema
        let found = try link.rows("SELECT count(*)::bigint FROM pg_tables WHERE schemaname = '\(schema)'")
        guard try found.first.map({ row throws(ClericalError) in try decode(row, 0, as: Int64.self) }) ?? 0 == 0 else {
            throw ClericalError(.cannotCreate, "\(link.address): schema \(schema) already holds tables; copy into a new schema")
        }
        try link.run("CREATE SCHEMA IF NOT EXISTS \(schema)")
        for migration in PostgresSchema.migrations {
            for statement in migration.statements { try link.run(statement) }
            for identifier in migration.identifiers {
                var binds = PostgresBindings()
                binds.append(identifier)
                try link.run("INSERT INTO schema_migration (identifier) VALUES ($1)", binds)
            }
        }
    }

    // MARK: - Reading cells

    static func decode<T: PostgresDecodable>(_ row: PostgresRow, _ column: Int, as type: T.Type) throws(ClericalError) -> T {
        do {
            return try row.makeRandomAccess()[column].decode(T.self)
        } catch {
            throw ClericalError(.dataError, "column \(column + 1) does not read as \(T.self): \(error)")
        }
    }

    static func text(_ row: PostgresRow, _ column: Int) throws(ClericalError) -> String {
        try decode(row, column, as: String.self)
    }
}
