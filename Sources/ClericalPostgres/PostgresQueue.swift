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

    /// Opens an existing queue, bringing one an earlier build made up to date (as its owner only);
    /// a missing schema, one that is not a queue, a newer build's, or an earlier build's opened by
    /// another role is a data error (65) naming what was found.
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

    /// Refuses what is not a queue, or a queue of a newer build; brings a queue of an earlier
    /// build up to date, as opening a queue file does.
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
        let stepsBehind = try stepsMissing(link)
        if stepsBehind > 0 { try upgrade(link, stepsBehind: stepsBehind) }
    }

    /// How many of this build's steps the queue lacks; a queue whose steps are not the first
    /// ones of this build (a newer build's, or another history) is refused.
    private static func stepsMissing(_ link: PostgresLink) throws(ClericalError) -> Int {
        var applied: Set<String> = []
        for row in try link.rows("SELECT identifier FROM schema_migration") { applied.insert(try text(row, 0)) }
        let steps = PostgresSchema.migrations.map { Set($0.identifiers) }
        let stepsHad = steps.prefix { $0.isSubset(of: applied) }.count
        guard applied == steps.prefix(stepsHad).reduce(into: Set<String>(), { $0.formUnion($1) }) else {
            let newer = applied.subtracting(PostgresSchema.identifiers).count
            let detail = newer > 0 ? "made by a newer clerical (\(newer) migration\(newer == 1 ? "" : "s") this build does not know)"
                : "with migrations this build's history does not have in that order"
            throw ClericalError(.dataError, "\(link.address): schema \(link.address.schema) holds a queue of another version, \(detail)")
        }
        return steps.count - stepsHad
    }

    /// Brings a queue an earlier build made up to date, in one transaction that holds every
    /// other session off the schema's version table: its functions defined again as this
    /// build defines them, the steps it lacks run, and its reviewers' roles granted what the
    /// new steps made. Only the schema's owner may; anyone else is told who.
    private static func upgrade(_ link: PostgresLink, stepsBehind: Int) throws(ClericalError) {
        let schema = link.address.schema
        try link.transaction { () throws(ClericalError) in
            let owner = try link.rows("""
                SELECT pg_get_userbyid(nspowner)::text,
                       pg_has_role(session_user, nspowner, 'USAGE')
                       OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)
                FROM pg_namespace WHERE nspname = '\(schema)'
                """)
            guard let row = owner.first, try decode(row, 1, as: Bool.self) else {
                let name = try owner.first.map { row throws(ClericalError) in try text(row, 0) } ?? "its owner"
                throw ClericalError(.dataError, """
                    \(link.address): schema \(schema) holds a queue \(stepsBehind) migration\(stepsBehind == 1 ? "" : "s") behind this build; \
                    its owner, role \(name), brings it up to date by opening it once with this build (for example `clerical status`)
                    """)
            }
            try link.run("LOCK TABLE schema_migration IN ACCESS EXCLUSIVE MODE")
            let stillBehind = try stepsMissing(link)  // another session may have just done it
            guard stillBehind > 0 else { return }
            let stepsHad = PostgresSchema.migrations.count - stillBehind
            for statement in PostgresSchema.routineDefinitions(inFirst: stepsHad) { try link.run(statement) }
            for migration in PostgresSchema.migrations.dropFirst(stepsHad) { try apply(migration, link) }
            _ = try PostgresQueue(link: link).grantRegisteredReviewers()
        }
    }

    private static func apply(_ migration: (identifiers: [String], statements: [String]), _ link: PostgresLink) throws(ClericalError) {
        for statement in migration.statements { try link.run(statement) }
        for identifier in migration.identifiers {
            var binds = PostgresBindings()
            binds.append(identifier)
            try link.run("INSERT INTO schema_migration (identifier) VALUES ($1)", binds)
        }
    }

    /// Creates the queue's schema and tables inside the caller's transaction; refuses a schema
    /// that already has tables in it. `steps` stops after the first so many steps: a queue as
    /// an earlier build made it, for the tests of `open`'s upgrade.
    package static func create(_ link: PostgresLink, steps: Int? = nil) throws(ClericalError) {
        let schema = link.address.schema
        let found = try link.rows("SELECT count(*)::bigint FROM pg_tables WHERE schemaname = '\(schema)'")
        guard try found.first.map({ row throws(ClericalError) in try decode(row, 0, as: Int64.self) }) ?? 0 == 0 else {
            throw ClericalError(.cannotCreate, "\(link.address): schema \(schema) already holds tables; copy into a new schema")
        }
        try link.run("CREATE SCHEMA IF NOT EXISTS \(schema)")
        for migration in PostgresSchema.migrations.prefix(steps ?? PostgresSchema.migrations.count) { try apply(migration, link) }
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
