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

    public func export(_ what: QueueExport) throws(ClericalError) -> ExportText {
        try snapshot { link throws in try Exports.text(what, from: link, queue: name) }
    }

    public func expireClaim(_ pairID: Int64) throws(ClericalError) {
        try queue.link.transaction { () throws(ClericalError) in
            try queue.require(.manageClaims)
            try queue.releaseClaims(.init(pair: pairID, holder: nil))
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
            try queue.withStore { link throws in try Claims.reassign(link, pair: pairID, to: reviewer) }
        }
    }

    public func close() { queue.close() }

    /// `read` in one read-only snapshot of the schema.
    private func snapshot<T>(_ read: (PostgresLink) throws -> T) throws(ClericalError) -> T {
        try queue.link.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? queue.link.run("COMMIT") }
        return try queue.withStore(read)
    }
}
