import ClericalCore
import Foundation
import GRDB
import GRDBSQLite

/// Pairs by where they stand, as the review screen's header and `status` show them. An open
/// pair (`PairState.pending`) is counted as awaiting review or decided by the model, by its
/// pattern's band; the JSON keeps the documented keys `pending` and `auto`.
public struct QueueCounts: Sendable, Equatable, Codable {
    public var total = 0
    /// Open pairs in the review band, not claimed.
    public var awaitingReview = 0
    public var claimed = 0
    public var decided = 0
    public var disputed = 0
    /// Open pairs outside the band: the model's decision stands.
    public var decidedByModel = 0

    /// From the two counter tables the triggers keep, in one query.
    package static func read<Statement: QueryStatement>(_ prepare: (String) throws -> Statement) throws -> QueueCounts {
        try prepare("SELECT \(columns)").first { QueueCounts($0, from: 0) } ?? QueueCounts()
    }

    /// The counts as columns of one row, from the counter tables the triggers keep: a statement
    /// that reads something else can read them too (on a server, no round trip of their own).
    /// An open pair is pending review when its pattern is in the band, and decided by the model
    /// when it is not.
    package static let columns = """
        (SELECT coalesce(sum(count), 0) FROM pair_state_count),
        (SELECT coalesce(sum(count), 0) FROM pair_state_count WHERE state = 'claimed'),
        (SELECT coalesce(sum(count), 0) FROM pair_state_count WHERE state = 'decided'),
        (SELECT coalesce(sum(count), 0) FROM pair_state_count WHERE state = 'disputed'),
        (SELECT coalesce(sum(count), 0) FROM band_count WHERE in_band = 1),
        (SELECT coalesce(sum(count), 0) FROM band_count WHERE in_band = 0)
        """

    package static let columnCount: Int32 = 6

    /// Read from `columns`, the first of them at `first`.
    package init(_ row: some QueryRow, from first: Int32) {
        total = Int(row.int64(first))
        claimed = Int(row.int64(first + 1))
        decided = Int(row.int64(first + 2))
        disputed = Int(row.int64(first + 3))
        awaitingReview = Int(row.int64(first + 4))
        decidedByModel = Int(row.int64(first + 5))
    }

    enum CodingKeys: String, CodingKey {
        case total, claimed, decided, disputed
        case awaitingReview = "pending"
        case decidedByModel = "auto"
    }

    public init() {}

    /// Pairs that go to people: everything but what the model decided.
    public var forReview: Int { awaitingReview + claimed + decided + disputed }
}

/// A verdict the reviewer gave, for browsing back through their recent work.
public struct OwnVerdict: Sendable, Equatable {
    public var pairID: Int64
    public var verdict: Verdict
    public var note: String?
    public var decidedAt: String

    public init(pairID: Int64, verdict: Verdict, note: String?, decidedAt: String) {
        self.pairID = pairID
        self.verdict = verdict
        self.note = note
        self.decidedAt = decidedAt
    }
}

/// The queue as a reviewer works it: claim a pair with a lease, record a verdict durably,
/// skip, undo, correct. Every write is one IMMEDIATE transaction, committed with
/// synchronous=FULL before the call returns. This file holds the connection, the lookups
/// refreshed once a second and the statement cache; claiming is in `ReviewQueue+Claiming.swift`
/// (which pair comes next in `ClaimOrder.swift`, writing claims in `Claims.swift`), verdicts
/// and undo in `ReviewQueue+Decisions.swift`, loading a pair in `ReviewQueue+Loading.swift`.
///
///     let queue = try ReviewQueue(path: "queue.db", reviewer: "ana")
///     if let pair = try queue.claimNext() {
///         try queue.decide(pair.id, .match, note: nil, shown: pair.score)
///     }
public final class ReviewQueue {
    /// What this session works on: the review queue (with blind second reviews mixed in), or
    /// the disputed pairs a quality lead adjudicates.
    public enum Mode: Sendable {
        case review
        case adjudicate
    }

    public let path: String
    public let reviewer: String
    public let mode: Mode
    /// How long a claim lasts without renewal; the screen renews it while the pair is shown.
    public let leaseSeconds: Double
    let database: DatabaseQueue
    /// The fields and the model a pair's evidence is shown with.
    var evidence: PairEvidence
    /// The model version the evidence comes from; a re-estimation (here or in another
    /// process) makes a newer one, and the next pair shown uses it.
    var modelVersionID: Int64 = 0
    /// Prepared statements of the keypress path, by SQL; they live as long as the connection.
    var statements: [String: RawStatement] = [:]
    /// Orders this process's writes with other reviewer processes' (see `WriterTurn`).
    let writerTurn: WriterTurn?
    /// Things that change rarely (the claim order's lookups, the re-estimation setting, the
    /// model version) are looked up at most once a second, not on every key.
    var lastLookups = Date.distantPast
    /// What the claim order looks up rarely (reservations, second reviews, audits, claims).
    var claimLookups = Claims.Order.Lookups()
    var reestimateEverySeen = 0
    /// The context of the next pair is read here while a verdict commits.
    let contextReader: ContextReader

    public init(path: String, reviewer: String, leaseSeconds: Double = 120, mode: Mode = .review) throws(ClericalError) {
        self.path = path
        self.reviewer = reviewer
        self.mode = mode
        self.leaseSeconds = leaseSeconds
        database = try QueueFile.open(path: path)
        writerTurn = WriterTurn(queuePath: path)
        let fieldNames: [String], model: FellegiSunterModel
        do {
            (fieldNames, modelVersionID, model) = try database.read { db in
                guard let current = try ModelStore.currentModel(db) else {
                    throw ClericalError(.dataError, "\(path): the queue has no model yet; import predictions first")
                }
                return (try String.fetchAll(db, sql: "SELECT name FROM field ORDER BY position"), current.id, current.model)
            }
        } catch {
            throw Self.clericalError(error, path: path)
        }
        contextReader = ContextReader(path: path, fieldCount: fieldNames.count)
        evidence = PairEvidence(fieldNames: fieldNames, model: model)
    }

    /// Refreshes the rarely changing lookups when a second has passed since the last time.
    func refreshLookups(_ db: Database) throws {
        let now = Date()
        guard now.timeIntervalSince(lastLookups) >= 1 else { return }
        lastLookups = now
        var order = claimOrder(db)
        try order.refreshLookups(now: now.timeIntervalSince1970)
        claimLookups = order.lookups
        reestimateEverySeen = try statement(db, "SELECT value FROM queue_setting WHERE key = 'reestimate_every'")
            .first { Int($0.text(0) ?? "") ?? 0 } ?? 0
        try followModelVersion(db)
    }

    /// Picks up a newer model version.
    func followModelVersion(_ db: Database) throws {
        let newest = try statement(db, "SELECT max(id) FROM model_version").first { $0.int64(0) } ?? modelVersionID
        guard newest != modelVersionID, let current = try ModelStore.currentModel(db) else { return }
        modelVersionID = current.id
        evidence = evidence.with(current.model)
    }

    /// Set by each verdict: the queue re-estimates automatically and enough verdicts have
    /// come in since the last re-estimation.
    public internal(set) var reestimationIsDue = false
    /// `PRAGMA data_version` as the writer connection last read it (`writerCacheIsWarm`).
    var writerDataVersion: Int64?
    /// Keypresses whose next pair's context was read before the commit, on the warm writer.
    var contextsReadBeforeCommit = 0

    /// No lookup at all while automatic re-estimation is off (the usual case).
    func checkReestimationDue(_ db: Database) throws -> Bool {
        try refreshLookups(db)
        return reestimateEverySeen > 0 ? try Reestimation.isDue(db) : false
    }

    /// Database pages this connection has written to the write-ahead log since it opened
    /// (SQLite's own count): what each commit costs on disk, for the review benchmark.
    public var pagesWritten: Int { database.inDatabase(Self.pagesWritten) }

    /// Pages `db`'s connection has written to its write-ahead log since it opened.
    package static func pagesWritten(_ db: Database) -> Int {
        var current: Int32 = 0, highest: Int32 = 0
        sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_CACHE_WRITE, &current, &highest, 0)
        return Int(current)
    }

    public func close() {
        statements = [:]  // finalised before the connection closes
        contextReader.close()
        try? database.close()
    }

    // MARK: - Reading

    public func counts() throws(ClericalError) -> QueueCounts {
        try access { db in try self.counts(db) }
    }

    func counts(_ db: Database) throws -> QueueCounts { try QueueCounts.read(prepare(db)) }

    /// The pair with its records, the evidence under the current model, and this
    /// reviewer's latest verdict and note on it.
    public func pair(_ id: Int64) throws(ClericalError) -> ReviewPair {
        try access { db in
            var pair = try self.loadPair(db, id)
            pair.context = try self.contextLoader(db).load(id)
            return pair
        }
    }

    /// This reviewer's standing verdicts (withdrawn ones left out), newest first.
    public func recentVerdicts(limit: Int = 200) throws(ClericalError) -> [OwnVerdict] {
        try access { db in try self.pairLoader(db).recentVerdicts(limit: limit) }
    }

    // MARK: - Internals

    /// The prepared statement for `sql` on this queue's connection, prepared once: a dozen run
    /// per keypress, 0.30 µs each against 1.23 µs through GRDB's `cachedStatement` and 5.77 µs
    /// prepared each time (`CLERICAL_BENCH_PIECES=1 clerical-review-bench`).
    func statement(_ db: Database, _ sql: String) throws -> RawStatement {
        if let prepared = statements[sql] { return prepared }
        let prepared = try RawStatement(db, sql: sql)
        // Statements that name skipped pairs or reservations vary; keep only the fixed ones.
        if !sql.contains("NOT IN") && !sql.contains("% 1000") { statements[sql] = prepared }
        return prepared
    }

    /// A record's values, from the JSON array of strings and nulls the importer wrote.
    static func values(_ json: String, count: Int) -> [String?] {
        if let values = RecordValues.parse(json), values.count == count { return values }
        // Anything else (edited by hand, say) goes through the full JSON parser.
        let parsed = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [Any] ?? []
        return (0..<count).map { i in i < parsed.count ? parsed[i] as? String : nil }
    }

    func access<T>(_ body: (Database) throws -> T) throws(ClericalError) -> T {
        do { return try database.read(body) } catch { throw Self.clericalError(error, path: path) }
    }

    /// Runs `body` in one IMMEDIATE transaction, committed (durably) before it returns.
    /// BEGIN and COMMIT are prepared once: this runs on every keypress.
    ///
    /// `whileCommitting`, if given, gets the result on another thread while this one waits for
    /// the commit to reach the disk, and has finished by the time this returns or throws: work
    /// the caller would otherwise do after the commit (drawing the next frame) overlaps it.
    func write<T: Sendable>(whileCommitting: (@Sendable (T) -> Void)? = nil, _ body: (Database) throws -> T) throws(ClericalError) -> T {
        writerTurn?.take()
        defer { writerTurn?.release() }
        do {
            return try database.writeWithoutTransaction { db in
                try statement(db, "BEGIN IMMEDIATE").step()
                do {
                    let result = try body(db)
                    let alongside = whileCommitting.map { work in WorkAlongside { work(result) } }
                    defer { alongside?.wait() }
                    try statement(db, "COMMIT").step()
                    return result
                } catch {
                    _ = try? statement(db, "ROLLBACK").step()
                    throw error
                }
            }
        } catch {
            throw Self.clericalError(error, path: path)
        }
    }

    static func clericalError(_ error: any Error, path: String) -> ClericalError {
        if let error = error as? ClericalError { return error }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            return ClericalError(.tryAgain, "\(path): the queue is busy (another process holds it); try again")
        }
        return ClericalError(.ioError, "\(path): \(QueueFile.describe(error))")
    }
}
