import ClericalCore
import ClericalStore
import Foundation
import PostgresNIO

/// A queue on a PostgreSQL server as `status` and the supervisor's dashboard watch it: the same
/// reports as a file's (`QueueReading`), each read in one snapshot of the schema, and the
/// supervisor's two claim actions. The account is the database role (`session_user`).
///
///     let queue = try PostgresQueueHandle(try PostgresAddress(url: "postgresql://sam@db/linkage?schema=wave3"))
///     try DashboardRunner.run(queue)
public final class PostgresQueueHandle: QueueWatch {
    let queue: PostgresQueue
    public let account: String
    public var name: String { "\(queue.address)" }

    public init(_ address: PostgresAddress) throws(ClericalError) {
        queue = try PostgresQueue.open(address)
        do {
            account = try queue.account()
        } catch {
            queue.close()
            throw error
        }
    }

    public func require(_ action: QueueAction) throws(ClericalError) { try queue.require(action) }

    public func status() throws(ClericalError) -> QueueStatus { try queue.status() }

    public func live() throws(ClericalError) -> QueueStatus.Live {
        try snapshot { link throws in try QueueStatus.live(link) }
    }

    public func team(_ activity: TeamActivity, now: Date) throws(ClericalError) -> TeamFigures {
        try snapshot { link throws in try activity.update(link, now: now) }
    }

    public func quality() throws(ClericalError) -> QualityEstimate {
        try snapshot { link throws in try LinkageQualityReport.estimate(link) }
    }

    public func agreement() throws(ClericalError) -> QualityReport {
        try snapshot { link throws in try QualityReview.report(link) }
    }

    public func expireClaim(_ pairID: Int64) throws(ClericalError) {
        try queue.link.transaction { () throws(ClericalError) in
            try queue.require(.manageClaims)
            try queue.endClaims(pair: pairID, holder: nil)
        }
    }

    public func reassignClaim(_ pairID: Int64, to reviewer: String) throws(ClericalError) {
        guard Reviewers.isValidName(reviewer) else { throw ClericalError(.usage, "\"\(reviewer)\" is not an account name") }
        try queue.link.transaction { () throws(ClericalError) in
            try queue.require(.manageClaims)
            let rule = try queue.accessRule()
            if !rule.reviewers.isEmpty && rule.reviewers[reviewer] == nil {
                throw ClericalError(.usage, "\(reviewer) is not a registered reviewer of this queue")
            }
            var binds = PostgresBindings()
            binds.append(reviewer)
            binds.append(pairID)
            try queue.link.run("UPDATE claim SET reviewer = $1 WHERE pair_id = $2", binds)
        }
    }

    public func close() { queue.close() }

    /// `read` in one read-only snapshot of the schema.
    private func snapshot<T>(_ read: (PostgresLink) throws -> T) throws(ClericalError) -> T {
        try queue.link.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? queue.link.run("COMMIT") }
        do {
            return try read(queue.link)
        } catch let error as ClericalError {
            throw error
        } catch {
            throw ClericalError(.ioError, "\(queue.address): \(error)")
        }
    }
}

extension PostgresQueue {
    /// Ends the claims on `pair` (of `holder`, or anyone's): the pair goes back where it came
    /// from, as `Claims.release` does on a file (an audit pair waits to be offered again; an
    /// adjudication's pair stays disputed), inside the caller's transaction.
    package func endClaims(pair: Int64, holder: String?) throws(ClericalError) {
        var lookup = PostgresBindings()
        lookup.append(pair)
        lookup.append(holder)
        guard let held = try link.rows("""
            SELECT kind FROM claim WHERE pair_id = $1 AND ($2::text IS NULL OR reviewer = $2::text) FOR NO KEY UPDATE
            """, lookup).first else { return }
        let kind = try Self.text(held, 0)
        var binds = PostgresBindings()
        binds.append(pair)
        switch kind {
        case "second-review": try link.run("UPDATE second_review SET state = 'pending' WHERE pair_id = $1 AND state = 'claimed'", binds)
        case "adjudication": break
        default: try link.run("UPDATE pair SET state = 'pending' WHERE id = $1 AND state = 'claimed'", binds)
        }
        try link.run("DELETE FROM claim WHERE pair_id = $1", binds)
        if kind == "audit" {
            let reopened = try link.rows("UPDATE audit_pair SET offered = 0 WHERE pair_id = $1 AND offered = 1 RETURNING audit_id", binds)
            if let row = reopened.first {
                var audit = PostgresBindings()
                audit.append(try Self.decode(row, 0, as: Int64.self))
                try link.run("UPDATE audit SET offered_audit = greatest(0, offered_audit - 1) WHERE id = $1", audit)
            }
        }
    }
}
