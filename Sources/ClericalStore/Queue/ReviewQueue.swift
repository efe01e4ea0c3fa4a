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

    enum CodingKeys: String, CodingKey {
        case total, claimed, decided, disputed
        case awaitingReview = "pending"
        case decidedByModel = "auto"
    }

    public init() {}

    /// From `pair_state_count` rows (state, count) and `band_count` rows (in band, count):
    /// an open pair is pending review when its pattern is in the band, and decided by the
    /// model when it is not.
    init(_ rows: [(state: String, count: Int)], band: [(inBand: Bool, count: Int)]) {
        for (state, n) in rows {
            total += n
            switch PairState(rawValue: state) {
            case .claimed: claimed = n
            case .decided: decided = n
            case .disputed: disputed = n
            case .auto, .pending, nil: break
            }
        }
        for (inBand, n) in band {
            if inBand { awaitingReview = n } else { decidedByModel = n }
        }
    }

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
/// synchronous=FULL before the call returns.
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
    private var fieldNames: [String] = []
    private var model: FellegiSunterModel
    /// The model version the evidence comes from; a re-estimation (here or in another
    /// process) makes a newer one, and the next pair shown uses it.
    private var modelVersionID: Int64 = 0
    private var fieldIndicesByComparison: [[Int]] = []
    /// Per comparison, per gamma: what the screen shows of that level. Built once, so
    /// loading a pair is a few lookups.
    private var levelsByComparison: [[Int: (label: String, kind: LevelKind, weight: Double)]] = []
    /// Prepared statements of the keypress path, by SQL; they live as long as the connection.
    private var statements: [String: RawStatement] = [:]
    /// Orders this process's writes with other reviewer processes' (see `WriterTurn`).
    private let writerTurn: WriterTurn?
    /// Things that change rarely (reservations, open second reviews, the re-estimation
    /// setting, the model version) are looked up at most once a second, not on every key.
    private var lastLookups = Date.distantPast
    private var reservationsSeen: [Reservation] = []
    private var secondReviewsOpen = false
    /// Whether an audit has pairs waiting to be offered, and whether any audit exists (then a
    /// loaded pair is checked for being an audit pair, shown blind).
    private var auditWaiting = false
    private var auditsExist = false
    /// Whether any claim might be this reviewer's or might have expired: then the claim
    /// looks for those first.
    private var claimsToLookAt = true
    private var reestimateEverySeen = 0

    public init(path: String, reviewer: String, leaseSeconds: Double = 120, mode: Mode = .review) throws(ClericalError) {
        self.path = path
        self.reviewer = reviewer
        self.mode = mode
        self.leaseSeconds = leaseSeconds
        database = try QueueFile.open(path: path)
        writerTurn = WriterTurn(queuePath: path)
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
        fieldIndicesByComparison = model.comparisons.map { comparison in
            fieldNames.indices.filter { comparison.uses(field: fieldNames[$0]) }
        }
        prepareEvidence()
    }

    private func prepareEvidence() {
        levelsByComparison = model.comparisons.enumerated().map { k, comparison in
            Dictionary(uniqueKeysWithValues: comparison.levels.map { level in
                (level.gamma, (level.label, comparison.kind(gamma: level.gamma),
                               model.parameters(comparison: k, gamma: level.gamma)?.weight ?? 0))
            })
        }
    }

    /// Refreshes the rarely changing lookups when a second has passed since the last time.
    private func refreshLookups(_ db: Database) throws {
        let now = Date()
        guard now.timeIntervalSince(lastLookups) >= 1 else { return }
        lastLookups = now
        var reservations: [Reservation] = []
        try statement(db, "SELECT reviewer, low, high, share_from, share_to FROM reservation").each { row in
            let part: Reservation.Part = row.isNull(1)
                ? .share(from: Int(row.int64(3)), to: Int(row.int64(4)))
                : .band(low: row.double(1), high: row.double(2))
            reservations.append(Reservation(reviewer: row.text(0) ?? "", part: part))
        }
        reservationsSeen = reservations
        let claims = try statement(db, """
            SELECT EXISTS (SELECT 1 FROM pair WHERE state = 'claimed' AND (claimed_by = ? OR lease_expires_at < ?))
            """)
        claims.bind(1, reviewer)
        claims.bind(2, now.timeIntervalSince1970)
        claimsToLookAt = try claims.first { $0.int64(0) == 1 } ?? true
        secondReviewsOpen = try statement(db, "SELECT EXISTS (SELECT 1 FROM second_review WHERE state <> 'done')").first { $0.int64(0) == 1 } ?? false
        auditsExist = try statement(db, "SELECT EXISTS (SELECT 1 FROM audit)").first { $0.int64(0) == 1 } ?? false
        auditWaiting = auditsExist
            ? try statement(db, "SELECT EXISTS (SELECT 1 FROM audit_pair WHERE offered = 0)").first { $0.int64(0) == 1 } ?? false
            : false
        reestimateEverySeen = try statement(db, "SELECT value FROM queue_setting WHERE key = 'reestimate_every'")
            .first { Int($0.text(0) ?? "") ?? 0 } ?? 0
        try followModelVersion(db)
    }

    /// Picks up a newer model version.
    private func followModelVersion(_ db: Database) throws {
        let newest = try statement(db, "SELECT max(id) FROM model_version").first { $0.int64(0) } ?? modelVersionID
        guard newest != modelVersionID, let current = try ModelStore.currentModel(db) else { return }
        modelVersionID = current.id
        model = current.model
        prepareEvidence()
    }

    /// Set by each verdict: the queue re-estimates automatically and enough verdicts have
    /// come in since the last re-estimation.
    public private(set) var reestimationIsDue = false

    /// No lookup at all while automatic re-estimation is off (the usual case).
    private func checkReestimationDue(_ db: Database) throws -> Bool {
        try refreshLookups(db)
        return reestimateEverySeen > 0 ? try Reestimation.isDue(db) : false
    }

    /// Database pages this connection has written to the write-ahead log since it opened
    /// (SQLite's own count): what each commit costs on disk, for the review benchmark.
    public var pagesWritten: Int { database.inDatabase(Self.pagesWritten) }

    /// Pages `db`'s connection has written to its write-ahead log since it opened.
    public static func pagesWritten(_ db: Database) -> Int {
        var current: Int32 = 0, highest: Int32 = 0
        sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_CACHE_WRITE, &current, &highest, 0)
        return Int(current)
    }

    public func close() {
        statements = [:]  // finalised before the connection closes
        try? database.close()
    }

    // MARK: - Reading

    public func counts() throws(ClericalError) -> QueueCounts {
        try access { db in try self.counts(db) }
    }

    private func counts(_ db: Database) throws -> QueueCounts {
        var rows: [(state: String, count: Int)] = []
        var band: [(inBand: Bool, count: Int)] = []
        try statement(db, "SELECT state, count, NULL FROM pair_state_count UNION ALL SELECT NULL, count, in_band FROM band_count").each { row in
            if row.isNull(0) { band.append((row.int64(2) == 1, Int(row.int64(1)))) } else { rows.append((row.text(0) ?? "", Int(row.int64(1)))) }
        }
        return QueueCounts(rows, band: band)
    }

    /// The pair with its records, the evidence under the current model, and this
    /// reviewer's latest verdict and note on it.
    public func pair(_ id: Int64) throws(ClericalError) -> ReviewPair {
        try access { db in try self.loadPair(db, id) }
    }

    /// This reviewer's standing verdicts (withdrawn ones left out), newest first.
    public func recentVerdicts(limit: Int = 200) throws(ClericalError) -> [OwnVerdict] {
        try access { db in
            try Row.fetchAll(db, sql: """
                SELECT d.pair_id, d.verdict, d.note, d.decided_at FROM decision d
                WHERE d.reviewer = ? AND d.kind = 'review'
                  AND d.id = (SELECT max(id) FROM decision WHERE pair_id = d.pair_id AND reviewer = d.reviewer AND kind = 'review')
                  AND d.verdict IS NOT NULL
                ORDER BY d.id DESC LIMIT ?
                """, arguments: [reviewer, limit]).map { row in
                OwnVerdict(pairID: row["pair_id"], verdict: Verdict(rawValue: row["verdict"])!, note: row["note"],
                            decidedAt: row["decided_at"])
            }
        }
    }

    // MARK: - Claims

    /// Claims the next pair to review and returns it, or nil when none is left.
    ///
    /// Order: a pair this reviewer already holds (say, from a session that was killed), then
    /// the pending pair the model is least sure of, then pairs whose claim has expired.
    public func claimNext(excluding skipped: Set<Int64> = []) throws(ClericalError) -> ReviewPair? {
        try write { db in try self.claim(db, excluding: skipped) }
    }

    private func claim(_ db: Database, excluding skipped: Set<Int64>) throws -> ReviewPair? {
        let now = Date().timeIntervalSince1970
        let exclusion = skipped.isEmpty ? "" : "AND id NOT IN (\(skipped.map(String.init).joined(separator: ",")))"
        if mode == .adjudicate { return try claimDisputed(db, exclusion: exclusion, now: now) }
        try refreshLookups(db)
        if secondReviewsOpen, let second = try claimSecondReview(db, skipped: skipped, now: now) { return second }
        // The reviewer's own live claim first (a session that was killed, a reassignment).
        if claimsToLookAt, let mine = try ownClaim(db, exclusion: exclusion, now: now) {
            return try take(db, mine.id, priority: mine.priority, now: now)  // with a fresh lease
        }

        // Then the next pair of the queued pattern the model is least sure of, unless an
        // expired claim comes before it.
        let next = try nextQueuedPair(db, exclusion: exclusion)
        // (With the queue dry, expired claims are all there is: look whatever the cache says.)
        let expired = claimsToLookAt || next == nil ? try expiredClaim(db, exclusion: exclusion, now: now) : nil
        if let expired, next == nil || expired.priority < next!.priority {
            return try take(db, expired.id, priority: expired.priority, now: now)
        }
        // Audit pairs come in among them at the audit's share of what is offered.
        var auditOffering: Int64?
        if auditWaiting {
            switch try offerAudit(db, exclusion: exclusion, now: now, bandHasPair: next != nil) {
            case .pair(let pair): return pair
            case .bandsTurn(let auditID): auditOffering = auditID
            case .none: break
            }
        }
        guard let next else { return nil }
        if let auditOffering {
            try db.execute(sql: "UPDATE audit SET offered_band = offered_band + 1 WHERE id = ?", arguments: [auditOffering])
        }
        // The claim pushes the pattern's next pair back (the open_count trigger).
        return try take(db, next.pairID, priority: next.priority, now: now)
    }

    private enum AuditOffer { case pair(ReviewPair), bandsTurn(auditID: Int64), none }

    /// The next audit pair when the audit's share of the pairs offered calls for one (or the
    /// band has nothing), claimed like any pair and shown blind; else whose turn it is.
    private func offerAudit(_ db: Database, exclusion: String, now: Double, bandHasPair: Bool) throws -> AuditOffer {
        let open = try statement(db, """
            SELECT id, share, offered_audit, offered_band FROM audit a
            WHERE EXISTS (SELECT 1 FROM audit_pair p WHERE p.audit_id = a.id AND p.offered = 0) ORDER BY id LIMIT 1
            """)
        guard let audit = try open.first({ (id: $0.int64(0), share: $0.double(1), audit: $0.double(2), band: $0.double(3)) }) else {
            auditWaiting = false
            return .none
        }
        if bandHasPair, audit.audit >= audit.share * (audit.audit + audit.band + 1) { return .bandsTurn(auditID: audit.id) }
        let waiting = try statement(db, """
            SELECT a.pair_id FROM audit_pair a JOIN pair p ON p.id = a.pair_id
            WHERE a.audit_id = ? AND a.offered = 0 AND p.state = 'pending' \(exclusion.replacingOccurrences(of: "id NOT IN", with: "a.pair_id NOT IN"))
            ORDER BY a.pair_id LIMIT 1
            """)
        waiting.bind(1, audit.id)
        guard let pairID = try waiting.first({ $0.int64(0) }) else {
            // What waits was decided some other way meanwhile (in the band, say): no longer waiting.
            try db.execute(sql: """
                UPDATE audit_pair SET offered = 1 WHERE audit_id = ? AND offered = 0
                  AND pair_id IN (SELECT id FROM pair WHERE state <> 'pending')
                """, arguments: [audit.id])
            return bandHasPair ? .bandsTurn(auditID: audit.id) : .none
        }
        try db.execute(sql: "UPDATE audit_pair SET offered = 1 WHERE pair_id = ?", arguments: [pairID])
        try db.execute(sql: "UPDATE audit SET offered_audit = offered_audit + 1 WHERE id = ?", arguments: [audit.id])
        return .pair(try take(db, pairID, priority: 0, now: now))
    }

    private func ownClaim(_ db: Database, exclusion: String, now: Double) throws -> (id: Int64, priority: Double)? {
        let own = try statement(db, """
            SELECT id, priority FROM pair WHERE state = 'claimed' AND claimed_by = ? AND lease_expires_at >= ? \(exclusion)
            ORDER BY priority LIMIT 1
            """)
        own.bind(1, reviewer)
        own.bind(2, now)
        return try own.first { (id: $0.int64(0), priority: $0.double(1)) }
    }

    private func expiredClaim(_ db: Database, exclusion: String, now: Double) throws -> (id: Int64, priority: Double)? {
        let expired = try statement(db, """
            SELECT id, priority FROM pair WHERE state = 'claimed' AND lease_expires_at < ? \(exclusion) ORDER BY priority LIMIT 1
            """)
        expired.bind(1, now)
        return try expired.first { (id: $0.int64(0), priority: $0.double(1)) }
    }

    /// A sampled pair this reviewer did not decide first: blind second reviews come before
    /// the queue. The reviewer's own live claim on one comes first of all.
    private func claimSecondReview(_ db: Database, skipped: Set<Int64>, now: Double) throws -> ReviewPair? {
        let exclusion = skipped.isEmpty ? "" : "AND pair_id NOT IN (\(skipped.map(String.init).joined(separator: ",")))"
        return try claimFirst(db, now: now, kind: .secondReview, query: """
            SELECT pair_id FROM second_review
            WHERE state <> 'done' AND first_reviewer <> ?1
              AND (state = 'pending' OR claimed_by = ?1 OR lease_expires_at < ?2) \(exclusion)
            ORDER BY claimed_by = ?1 DESC, pair_id LIMIT 1
            """, take: "UPDATE second_review SET state = 'claimed', claimed_by = ?, lease_expires_at = ? WHERE pair_id = ?")
    }

    /// A disputed pair for a quality lead: the reviewer's own claim first, then any unclaimed
    /// or expired one. The claim lives on the pair row.
    private func claimDisputed(_ db: Database, exclusion: String, now: Double) throws -> ReviewPair? {
        try claimFirst(db, now: now, kind: .adjudication, query: """
            SELECT id FROM pair WHERE state = 'disputed'
              AND (claimed_by IS NULL OR claimed_by = ?1 OR lease_expires_at < ?2) \(exclusion)
            ORDER BY claimed_by = ?1 DESC, id LIMIT 1
            """, take: "UPDATE pair SET claimed_by = ?, lease_expires_at = ? WHERE id = ?")
    }

    /// Runs `query` (?1 the reviewer, ?2 now) for a pair, claims it with `take` (reviewer,
    /// lease expiry, pair) and loads it as a review of `kind`.
    private func claimFirst(_ db: Database, now: Double, kind: DecisionKind, query: String, take: String) throws -> ReviewPair? {
        let open = try statement(db, query)
        open.bind(1, reviewer)
        open.bind(2, now)
        guard let pairID = try open.first({ $0.int64(0) }) else { return nil }
        let claim = try statement(db, take)
        claim.bind(1, reviewer)
        claim.bind(2, now + leaseSeconds)
        claim.bind(3, pairID)
        try claim.step()
        return try loadPair(db, pairID, kind: kind)
    }

    /// The first open pair of the queued pattern with the lowest review priority, passing
    /// over pairs this session skipped and parts of the queue kept for other reviewers. A
    /// reviewer with a reservation meets their own part first.
    private func nextQueuedPair(_ db: Database, exclusion: String) throws
        -> (pairID: Int64, patternID: Int64, priority: Double, probability: Double)? {
        let filter = ReservationFilter(reservationsSeen, reviewer: reviewer)
        if filter.isEmpty {
            return try search(db, pairSQL: "SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' \(exclusion) ORDER BY id LIMIT 1") { _ in true }
        }
        let pairSQL = "SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' \(exclusion) \(filter.pairCondition) ORDER BY id LIMIT 1"
        if !filter.mine.isEmpty, let mine = try search(db, pairSQL: pairSQL, where: filter.isMine) { return mine }
        if let myShare = filter.myShareCondition,
           let mine = try search(db, pairSQL: pairSQL.replacingOccurrences(of: "ORDER BY", with: "\(myShare) ORDER BY"), where: filter.allows) {
            return mine
        }
        return try search(db, pairSQL: pairSQL, where: filter.allows)
    }

    /// Walks the queued patterns in priority order (those `accepts` lets through) and returns
    /// the first pair `pairSQL` finds in one.
    private func search(_ db: Database, pairSQL: String, where accepts: (Double) -> Bool) throws
        -> (pairID: Int64, patternID: Int64, priority: Double, probability: Double)? {
        let patterns = try statement(db, """
            SELECT id, review_priority, match_probability FROM pattern
            WHERE in_band = 1 AND open_count > 0 ORDER BY review_priority LIMIT ?
            """)
        let firstPair = try statement(db, pairSQL)
        var limit: Int64 = 1
        while true {
            patterns.bind(1, limit)
            var candidates: [(id: Int64, priority: Double, probability: Double)] = []
            try patterns.each { candidates.append(($0.int64(0), $0.double(1), $0.double(2))) }
            for pattern in candidates.dropFirst(Int(limit / 4)) where accepts(pattern.probability) {  // the first quarter was seen last round
                firstPair.bind(1, pattern.id)
                if let pairID = try firstPair.first({ $0.int64(0) }) {
                    return (pairID, pattern.id, pattern.priority, pattern.probability)
                }
            }
            // Nothing in those patterns for this reviewer: look further down the queue.
            guard candidates.count == limit else { return nil }
            limit *= 4
        }
    }

    /// Claims an undecided pair from a random place in the queue, queued or decided by the
    /// model alike: what a reviewer sampling candidate pairs at random would meet. `fraction`
    /// in [0, 1) picks the place. Returns nil when every pair is decided or claimed.
    public func claimRandom(at fraction: Double) throws(ClericalError) -> ReviewPair? {
        try write { db in
            let last = try Int64.fetchOne(db, sql: "SELECT max(id) FROM pair") ?? 0
            let from = Int64((fraction * Double(last)).rounded(.down)) + 1
            let query = try statement(db, "SELECT id FROM pair WHERE id >= ? AND state = 'pending' ORDER BY id LIMIT 1")
            query.bind(1, from)
            var chosen = try query.first { $0.int64(0) }
            if chosen == nil {
                query.bind(1, Int64(1))  // wrap around to the start
                chosen = try query.first { $0.int64(0) }
            }
            guard let id = chosen else { return nil }
            return try self.take(db, id, priority: 0, now: Date().timeIntervalSince1970)
        }
    }

    /// Claims the pair: `priority` is where it stands should its lease run out.
    private func take(_ db: Database, _ id: Int64, priority: Double, now: Double) throws -> ReviewPair {
        let update = try statement(db, "UPDATE pair SET state = 'claimed', claimed_by = ?, lease_expires_at = ?, priority = ? WHERE id = ?")
        update.bind(1, reviewer)
        update.bind(2, now + leaseSeconds)
        update.bind(3, priority)
        update.bind(4, id)
        try update.step()
        return try loadPair(db, id, withVerdict: false)  // a claimed pair has no standing verdict of its own
    }

    /// Keeps this reviewer's claim on a pair alive while it is on screen.
    public func renewLease(_ pairID: Int64) throws(ClericalError) {
        try write { db in
            try Claims.renew(db, pair: pairID, holder: reviewer, until: Date().timeIntervalSince1970 + leaseSeconds)
        }
    }

    /// Hands a claimed pair back to the queue (skip, or quit with a pair on screen).
    public func release(_ pairID: Int64) throws(ClericalError) {
        try write { db in
            try Claims.release(db, .init(pair: pairID, holder: reviewer))
            // An audit pair handed back may be waiting again: look at the next claim.
            if self.auditsExist { self.auditWaiting = true }
        }
    }

    // MARK: - Decisions

    /// Records a verdict (or, for a pair already decided, a correction) and marks the pair
    /// decided. Durable when it returns.
    @discardableResult
    public func decide(_ pairID: Int64, _ verdict: Verdict, note: String?, shown: PatternScore?) throws(ClericalError) -> OwnVerdict {
        try write { db in
            let saved = try self.record(db, pairID, verdict, note: note, shown: shown)
            self.reestimationIsDue = try self.checkReestimationDue(db)
            return saved
        }
    }

    /// Records a verdict on the pair in hand and claims the next pair, in one transaction:
    /// one durable commit per keypress. `whileCommitting` gets the outcome on another thread
    /// while the commit waits for the disk (the screen draws the next frame there); it is only
    /// the outcome if this returns rather than throws.
    public func decideAndClaimNext(_ pairID: Int64, _ verdict: Verdict, note: String?, shown: PatternScore?,
                                   excluding skipped: Set<Int64> = [],
                                   whileCommitting: (@Sendable ((OwnVerdict, ReviewPair?, QueueCounts)) -> Void)? = nil)
        throws(ClericalError) -> (OwnVerdict, ReviewPair?, QueueCounts) {
        try write(whileCommitting: whileCommitting) { db in
            let saved = try self.record(db, pairID, verdict, note: note, shown: shown)
            self.reestimationIsDue = try self.checkReestimationDue(db)
            let next = try self.claim(db, excluding: skipped)
            return (saved, next, try self.counts(db))
        }
    }

    private func record(_ db: Database, _ pairID: Int64, _ verdict: Verdict, note: String?, shown: PatternScore?) throws -> OwnVerdict {
        let lookup = try statement(db, "SELECT state, claimed_by FROM pair WHERE id = ?")
        lookup.bind(1, pairID)
        guard let (state, claimedBy) = try lookup.first({ ($0.text(0) ?? "", $0.text(1)) }) else {
            throw ClericalError(.dataError, "pair \(pairID) is not in the queue")
        }
        if mode == .adjudicate {
            guard state == PairState.disputed.rawValue, claimedBy == reviewer else {
                throw ClericalError(.tryAgain, "pair \(pairID) is no longer yours to adjudicate (its claim expired and someone else took it)")
            }
            let content = try appendDecision(db, pairID: pairID, kind: .adjudication, verdict: verdict, note: note, shown: shown)
            try db.execute(sql: "UPDATE pair SET state = 'decided', claimed_by = NULL, lease_expires_at = NULL WHERE id = ?",
                           arguments: [pairID])
            return OwnVerdict(pairID: pairID, verdict: verdict, note: content.note, decidedAt: content.decidedAt)
        }
        if secondReviewsOpen, try holdsSecondReview(db, pairID) {
            let content = try appendDecision(db, pairID: pairID, kind: .secondReview, verdict: verdict, note: note, shown: shown)
            try db.execute(sql: "UPDATE second_review SET state = 'done', claimed_by = NULL, lease_expires_at = NULL WHERE pair_id = ?",
                           arguments: [pairID])
            let first = try String.fetchOne(db, sql: """
                SELECT verdict FROM decision WHERE pair_id = ? AND kind = 'review' ORDER BY id DESC LIMIT 1
                """, arguments: [pairID])
            if let first, first != verdict.rawValue {
                try db.execute(sql: "UPDATE pair SET state = 'disputed', claimed_by = NULL, lease_expires_at = NULL WHERE id = ?",
                               arguments: [pairID])
            }
            return OwnVerdict(pairID: pairID, verdict: verdict, note: content.note, decidedAt: content.decidedAt)
        }
        let standing = state == PairState.decided.rawValue ? try hasStandingVerdict(db, pairID) : false
        let mine = (state == PairState.claimed.rawValue && claimedBy == reviewer) || standing
        guard mine else {
            throw ClericalError(.tryAgain, "pair \(pairID) is no longer yours to decide (its claim expired and another reviewer took it)")
        }
        let content = try appendDecision(db, pairID: pairID, kind: .review, verdict: verdict, note: note, shown: shown)
        let decided = try statement(db, "UPDATE pair SET state = 'decided', claimed_by = NULL, lease_expires_at = NULL WHERE id = ?")
        decided.bind(1, pairID)
        try decided.step()
        return OwnVerdict(pairID: pairID, verdict: verdict, note: content.note, decidedAt: content.decidedAt)
    }

    private func holdsSecondReview(_ db: Database, _ pairID: Int64) throws -> Bool {
        let held = try statement(db, "SELECT 1 FROM second_review WHERE pair_id = ? AND state = 'claimed' AND claimed_by = ?")
        held.bind(1, pairID)
        held.bind(2, reviewer)
        return try held.first { _ in true } == true
    }

    /// Withdraws this reviewer's latest standing verdict (a new decision row with no verdict)
    /// and claims the pair again, so it comes straight back. Returns the pair, or nil when
    /// there is nothing to undo.
    public func undoLast() throws(ClericalError) -> ReviewPair? {
        try write { db in
            guard let last = try Row.fetchOne(db, sql: """
                SELECT d.pair_id FROM decision d
                WHERE d.reviewer = ? AND d.kind = 'review' AND d.verdict IS NOT NULL
                  AND d.id = (SELECT max(id) FROM decision WHERE pair_id = d.pair_id AND reviewer = d.reviewer AND kind = 'review')
                ORDER BY d.id DESC LIMIT 1
                """, arguments: [self.reviewer]) else { return nil }
            let pairID: Int64 = last["pair_id"]
            _ = try self.appendDecision(db, pairID: pairID, kind: .review, verdict: nil, note: nil, shown: nil)
            try db.execute(sql: "UPDATE pair SET state = 'claimed', claimed_by = ?, lease_expires_at = ? WHERE id = ?",
                           arguments: [self.reviewer, Date().timeIntervalSince1970 + self.leaseSeconds, pairID])
            return try self.loadPair(db, pairID)
        }
    }

    // MARK: - Internals

    private func hasStandingVerdict(_ db: Database, _ pairID: Int64) throws -> Bool {
        try String.fetchOne(db, sql: """
            SELECT verdict FROM decision WHERE pair_id = ? AND reviewer = ? AND kind = 'review' ORDER BY id DESC LIMIT 1
            """, arguments: [pairID, reviewer]) != nil
    }

    private func appendDecision(_ db: Database, pairID: Int64, kind: DecisionKind, verdict: Verdict?, note: String?,
                                shown: PatternScore?) throws -> DecisionContent {
        let previous = try statement(db, "SELECT hash FROM decision ORDER BY id DESC LIMIT 1").first { $0.text(0) } ?? nil
        let content = DecisionContent(pairID: pairID, reviewer: reviewer, kind: kind, verdict: verdict,
                                      note: note.flatMap { $0.isEmpty ? nil : $0 }, decidedAt: Timestamp.now(),
                                      shownMatchWeight: shown?.matchWeight, shownMatchProbability: shown?.matchProbability)
        let insert = try statement(db, DecisionAppender.insertSQL)
        insert.bind(1, pairID)
        insert.bind(2, reviewer)
        insert.bind(3, content.kind.rawValue)
        insert.bind(4, verdict?.rawValue)
        insert.bind(5, content.note)
        insert.bind(6, content.decidedAt)
        insert.bind(7, content.shownMatchWeight)
        insert.bind(8, content.shownMatchProbability)
        insert.bind(9, previous)
        insert.bind(10, content.hash(previous: previous))
        try insert.step()
        return content
    }

    private func loadPair(_ db: Database, _ id: Int64, kind: DecisionKind = .review, withVerdict: Bool = true) throws -> ReviewPair {
        try refreshLookups(db)
        let query = try statement(db, """
            SELECT t.gammas, t.match_weight, l.source_dataset, l.unique_id, l.field_values,
                   r.source_dataset, r.unique_id, r.field_values
            FROM pair p JOIN pattern t ON t.id = p.pattern_id
            JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
            WHERE p.id = ?
            """)
        query.bind(1, id)
        guard let row = try query.first({ row in
            (gammas: row.text(0) ?? "", weight: row.double(1),
             left: ReviewRecord(sourceDataset: row.text(2) ?? "", uniqueID: row.text(3) ?? "",
                              values: Self.values(row.text(4) ?? "[]", count: fieldNames.count)),
             right: ReviewRecord(sourceDataset: row.text(5) ?? "", uniqueID: row.text(6) ?? "",
                               values: Self.values(row.text(7) ?? "[]", count: fieldNames.count)))
        }) else {
            throw ClericalError(.dataError, "pair \(id) is not in the queue")
        }
        let gammas = PatternKey.gammas(row.gammas)
        var evidence: [ComparisonEvidence] = []
        evidence.reserveCapacity(model.comparisons.count)
        for (k, comparison) in model.comparisons.enumerated() where k < gammas.count {
            let gamma = gammas[k]
            let level = levelsByComparison[k][gamma]
            evidence.append(ComparisonEvidence(
                name: comparison.name, gamma: gamma, label: level?.label ?? "γ = \(gamma)",
                kind: level?.kind ?? .missing, weight: level?.weight ?? 0, fieldIndices: fieldIndicesByComparison[k]))
        }
        let latestQuery = try statement(db, """
            SELECT verdict, note FROM decision WHERE pair_id = ? AND reviewer = ? AND kind = 'review' ORDER BY id DESC LIMIT 1
            """)
        latestQuery.bind(1, id)
        latestQuery.bind(2, reviewer)
        let latest = !withVerdict || kind != .review ? nil : try latestQuery.first { (verdict: $0.text(0).flatMap(Verdict.init(rawValue:)), note: $0.text(1)) }
        var pair = ReviewPair(
            id: id, fields: fieldNames, left: row.left, right: row.right,
            evidence: evidence, priorWeight: model.priorWeight, score: PatternScore(matchWeight: row.weight),
            verdict: kind == .review ? latest?.verdict : nil, note: kind == .review ? latest?.note : nil)
        pair.kind = kind
        if auditsExist, kind == .review {
            let audited = try statement(db, "SELECT EXISTS (SELECT 1 FROM audit_pair WHERE pair_id = ?)")
            audited.bind(1, id)
            pair.isAudit = try audited.first { $0.int64(0) == 1 } ?? false
        }
        if kind == .adjudication {
            // What the adjudicator settles: the latest verdict of each earlier review.
            pair.disputedVerdicts = try Row.fetchAll(db, sql: """
                SELECT reviewer, kind, verdict, note FROM decision
                WHERE id IN (SELECT max(id) FROM decision WHERE pair_id = ? AND kind IN ('review', 'second-review') GROUP BY kind)
                  AND verdict IS NOT NULL
                ORDER BY id
                """, arguments: [id]).compactMap { row in
                guard let kind = DecisionKind(rawValue: row["kind"]), let verdict = Verdict(rawValue: row["verdict"]) else { return nil }
                return DisputedVerdict(reviewer: row["reviewer"], kind: kind, verdict: verdict, note: row["note"])
            }
        }
        return pair
    }

    /// The prepared statement for `sql` on this queue's connection, prepared once.
    private func statement(_ db: Database, _ sql: String) throws -> RawStatement {
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

    private func access<T>(_ body: (Database) throws -> T) throws(ClericalError) -> T {
        do { return try database.read(body) } catch { throw Self.clericalError(error, path: path) }
    }

    /// Runs `body` in one IMMEDIATE transaction, committed (durably) before it returns.
    /// BEGIN and COMMIT are prepared once: this runs on every keypress.
    ///
    /// `whileCommitting`, if given, gets the result on another thread while this one waits for
    /// the commit to reach the disk, and has finished by the time this returns or throws: work
    /// the caller would otherwise do after the commit (drawing the next frame) overlaps it.
    private func write<T: Sendable>(whileCommitting: (@Sendable (T) -> Void)? = nil, _ body: (Database) throws -> T) throws(ClericalError) -> T {
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
