import ClericalCore
import ClericalStore
import Foundation
import PostgresNIO

/// Reviewers of a PostgreSQL queue: the same rules as on SQLite (the first is a supervisor,
/// only supervisors manage reviewers, the last supervisor stays), where a reviewer is a
/// database role. Registering one grants the role what working the queue needs and no more:
/// it may insert decisions and reveals, never update, delete or truncate them.
extension PostgresQueue {
    /// Registers `name`, an existing database role, as a reviewer of this queue (or changes
    /// its role), and grants it the queue's privileges.
    package func addReviewer(_ name: String, role: ReviewerRole) throws(ClericalError) {
        guard Reviewers.isValidName(name) else {
            throw ClericalError(.usage, "\"\(name)\" is not a role name (letters, digits, '.', '_', '-', up to 64)")
        }
        try link.transaction { () throws(ClericalError) in
            try require(.manageReviewers)
            var binds = PostgresBindings()
            binds.append(name)
            guard try !link.rows("SELECT 1 FROM pg_roles WHERE rolname = $1", binds).isEmpty else {
                throw ClericalError(.usage, "\(address): no database role \(name); create it first (CREATE ROLE \"\(name)\" LOGIN PASSWORD …)")
            }
            if let reason = try accessRule().refusal(toRegister: name, as: role) { throw ClericalError(.usage, reason) }
            var row = PostgresBindings()
            row.append(name)
            row.append(role.rawValue)
            row.append(Timestamp.string(Date()))
            try link.run("""
                INSERT INTO reviewer (name, role, added_at) VALUES ($1, $2, $3)
                ON CONFLICT (name) DO UPDATE SET role = excluded.role
                """, row)
            try grantWorking(to: name, as: role)
        }
    }

    /// Grants every registered reviewer that is a database role the queue's privileges (after
    /// a copy brought the reviewer table over); returns the names with no such role.
    package func grantRegisteredReviewers() throws(ClericalError) -> [String] {
        var withoutRole: [String] = []
        for row in try link.rows("SELECT name, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name), role FROM reviewer ORDER BY name") {
            let name = try Self.text(row, 0)
            if try Self.decode(row, 1, as: Bool.self), Reviewers.isValidName(name) {
                try grantWorking(to: name, as: ReviewerRole(rawValue: try Self.text(row, 2)) ?? .reviewer)
            } else {
                withoutRole.append(name)
            }
        }
        return withoutRole
    }

    /// The tables a quality lead writes besides a reviewer's: the second-review sample, audits,
    /// and re-estimation's model versions (whose report it also updates).
    private static let qualityLeadTables = "second_review, audit, audit_stratum, audit_frame, audit_pair, model_version, level_parameter"

    /// What a reviewer's role may do on the queue's tables: read them, take and end claims,
    /// move pairs between states (the triggers keep the counters), append to the two logs; a
    /// quality lead also samples pairs for second review, draws audits and re-estimates.
    private func grantWorking(to name: String, as reviewerRole: ReviewerRole) throws(ClericalError) {
        let schema = address.schema, role = "\"\(name)\""
        for statement in [
            "GRANT USAGE ON SCHEMA \(schema) TO \(role)",
            "GRANT SELECT ON ALL TABLES IN SCHEMA \(schema) TO \(role)",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA \(schema) TO \(role)",
            "GRANT INSERT ON decision, reveal TO \(role)",
            "GRANT INSERT, UPDATE, DELETE ON claim TO \(role)",
            "GRANT UPDATE ON pair, pattern, pair_state_count, band_count, second_review, audit, audit_pair TO \(role)",
            "GRANT INSERT, UPDATE ON pattern_verdicts TO \(role)",
            "REVOKE UPDATE, DELETE, TRUNCATE ON decision, reveal FROM \(role)",
            (reviewerRole == .qualityLead ? "GRANT INSERT ON \(Self.qualityLeadTables) TO " : "REVOKE INSERT ON \(Self.qualityLeadTables) FROM ") + role,
            (reviewerRole == .qualityLead ? "GRANT UPDATE ON model_version TO " : "REVOKE UPDATE ON model_version FROM ") + role,
        ] {
            try link.run(statement)
        }
    }
}

/// The rest of `clerical reviewers` on a server, through the same code as on a file
/// (`Reviewers`, `Reservations`, `Claims.release`), each in one transaction, as the session's role.
extension PostgresQueue {
    package func reviewersAndReservations() throws(ClericalError) -> ([RegisteredReviewer], [Reservation]) {
        try require(.readStatus)
        return try withStore { link throws in (try Reviewers.list(link), try Reservations.all(link)) }
    }

    /// Unregisters `name`: its claims go back to the queue, and its role loses the queue's privileges.
    package func removeReviewer(_ name: String) throws(ClericalError) {
        let account = try account()
        try link.transaction { () throws(ClericalError) in
            try withStore { link throws in try Reviewers.remove(link, name: name, from: "\(address)", by: account) }
            var binds = PostgresBindings()
            binds.append(name)
            if try !link.rows("SELECT 1 FROM pg_roles WHERE rolname = $1", binds).isEmpty, Reviewers.isValidName(name) {
                let schema = address.schema, role = "\"\(name)\""
                try link.run("REVOKE ALL ON ALL TABLES IN SCHEMA \(schema) FROM \(role)")
                try link.run("REVOKE ALL ON ALL SEQUENCES IN SCHEMA \(schema) FROM \(role)")
                try link.run("REVOKE USAGE ON SCHEMA \(schema) FROM \(role)")
            }
        }
    }

    package func reserve(for reviewer: String, band: ReviewBand?, share: Double?) throws(ClericalError) {
        guard Reviewers.isValidName(reviewer) else { throw ClericalError(.usage, "\"\(reviewer)\" is not an account name") }
        let account = try account()
        try link.transaction { () throws(ClericalError) in
            try withStore { link throws in try Reservations.add(link, reviewer: reviewer, band: band, share: share, by: account) }
        }
    }

    package func unreserve(_ reviewer: String) throws(ClericalError) {
        let account = try account()
        try link.transaction { () throws(ClericalError) in
            try withStore { link throws in try Reservations.remove(link, reviewer: reviewer, by: account) }
        }
    }

    package func setMasking(on: Bool) throws(ClericalError) {
        let account = try account()
        try link.transaction { () throws(ClericalError) in
            try withStore { link throws in try Reviewers.setMasking(link, on: on, by: account) }
        }
    }

    /// `clerical qa sample` on the server: the file's sampling, in one transaction, by a quality lead.
    package func sample(_ request: SampleRequest) throws(ClericalError) -> SampleSummary {
        try link.transaction { () throws(ClericalError) in
            try require(.sample)
            return try withStore { link throws in try QualityReview.sample(link, request) }
        }
    }

    /// `clerical qa audit` on the server: the file's draw, in one transaction, by a quality lead.
    package func drawAudit(_ request: AuditRequest) throws(ClericalError) -> AuditSummary {
        let account = try account()
        return try link.transaction { () throws(ClericalError) in
            try require(.audit)
            return try withStore { link throws in try QualityAudit.draw(link, request, by: account) }
        }
    }

    /// Lets go of the selected claims (inside the caller's transaction), as on a file.
    package func releaseClaims(_ selection: Claims.Selection) throws(ClericalError) {
        try withStore { link throws in _ = try Claims.release(link, selection) }
    }

    /// Runs store code over this connection, its failures as `ClericalError`s.
    func withStore<T>(_ body: (PostgresLink) throws -> T) throws(ClericalError) -> T {
        do {
            return try body(link)
        } catch let error as ClericalError {
            throw error
        } catch {
            throw ClericalError(.ioError, "\(address): \(error)")
        }
    }
}
