import ClericalCore
import Foundation
import GRDB

/// A queue as the commands and screens that watch it whole see it (`status`, the supervisor's
/// dashboard), on either backend: a queue file (`QueueHandle`) or a PostgreSQL schema
/// (`PostgresQueueHandle`). The account is the OS account on a file and the database role on
/// a server.
public protocol QueueWatch: AnyObject {
    /// What the screens call the queue: the file's name, or the URL without its password.
    var name: String { get }
    var account: String { get }
    /// Refuses (77, naming who may) unless the account may do `action`.
    func require(_ action: QueueAction) throws(ClericalError)
    /// Counts, decisions, models, the team's figures and the linkage quality.
    func status() throws(ClericalError) -> QueueStatus
    /// What a live screen refreshes every second (see `QueueStatus.live`).
    func live() throws(ClericalError) -> QueueStatus.Live
    /// The team's figures, read incrementally into `activity`.
    func team(_ activity: TeamActivity, now: Date) throws(ClericalError) -> TeamFigures
    func quality() throws(ClericalError) -> QualityEstimate
    /// Agreement between first and second reviews (`clerical qa report`).
    func agreement() throws(ClericalError) -> QualityReport
    /// What `clerical export` writes, read in one snapshot (the caller checks `.export`).
    func export(_ what: QueueExport) throws(ClericalError) -> ExportText
    /// Supervisors: ends a claim now (the pair goes back where it came from).
    func expireClaim(_ pairID: Int64) throws(ClericalError)
    /// Supervisors: hands a claim to another registered reviewer.
    func reassignClaim(_ pairID: Int64, to reviewer: String) throws(ClericalError)
    func close()
}

/// An open queue file, for the screens and commands that read it as a whole. It speaks the
/// project's types only: what opens the file, and which database does the reading, stay
/// inside the store.
///
///     let queue = try QueueHandle(path: "queue.db")
///     print(try queue.status().text())
public final class QueueHandle: QueueWatch {
    public let path: String
    public let account: String
    let database: DatabaseQueue

    public var name: String { URL(fileURLWithPath: path).lastPathComponent }

    /// Opens an existing queue (migrating it if it is older than this build), for `account`
    /// (by default the OS account, as every command on a file).
    public init(path: String, account: String? = nil) throws(ClericalError) {
        self.path = path
        if let account { self.account = account } else { self.account = try Identity.current() }
        database = try QueueFile.open(path: path)
    }

    public func require(_ action: QueueAction) throws(ClericalError) {
        try Reviewers.require(action, queue: path, account: account)
    }

    public func quality() throws(ClericalError) -> QualityEstimate {
        try LinkageQualityReport.estimate(queue: path)
    }

    public func agreement() throws(ClericalError) -> QualityReport {
        try QualityReview.report(queue: path)
    }

    public func export(_ what: QueueExport) throws(ClericalError) -> ExportText {
        do {
            return try database.read { db in try Exports.text(what, from: db, queue: path) }
        } catch {
            throw ReviewQueue.clericalError(error, path: path)
        }
    }

    public func expireClaim(_ pairID: Int64) throws(ClericalError) {
        try ClaimAdministration.expire(queue: path, pairID: pairID, by: account)
    }

    public func reassignClaim(_ pairID: Int64, to reviewer: String) throws(ClericalError) {
        try ClaimAdministration.reassign(queue: path, pairID: pairID, to: reviewer, by: account)
    }

    public func status() throws(ClericalError) -> QueueStatus {
        try QueueStatus.read(database, path: path)
    }

    public func live() throws(ClericalError) -> QueueStatus.Live {
        try QueueStatus.live(database)
    }

    public func team(_ activity: TeamActivity, now: Date = Date()) throws(ClericalError) -> TeamFigures {
        try activity.update(database, now: now)
    }

    public func close() {
        try? database.close()
    }
}
