import ClericalCore
import ClericalStore
import Foundation

/// The review screen's work on a PostgreSQL queue (`clerical review URL`): the claims and
/// verdicts of `PostgresReviewQueue` (one round trip per verdict, a lost connection made again),
/// each pair loaded with its evidence and context by the file's own code (`PairLoader` over
/// `ReadingStatement`), and the rest of what the screen does (correct, undo, jump, renew,
/// reveal, a record's candidates together, adjudication) as short transactions that end, like
/// every verdict, with the decisions appended to the chain. The reviewer is the database role
/// that logged in.
///
/// A write that may have committed before a lost connection is looked up before it runs again
/// (a verdict, an undo); a read, a renewal or a hand-back is simply run again.
public final class PostgresReviewWork: ReviewWork {
    private let claims: PostgresReviewQueue
    private var evidence: PairEvidence
    private var modelVersionID: Int64
    private var lastLookups = Date.distantPast
    /// The kind of claim (review, audit, second-review) on each pair this session holds: the
    /// decision a verdict on it records.
    private var held: [Int64: String] = [:]

    public var reviewer: String { claims.reviewer }
    public var leaseSeconds: Double { claims.leaseSeconds }
    /// A server queue re-estimates only when asked (`clerical reestimate`).
    public var reestimationIsDue: Bool { false }
    public var path: String { "\(claims.queue.address)" }
    /// The queue as the screen's header names it: database and schema.
    public var name: String { "\(claims.queue.address.database)/\(claims.queue.address.schema)" }
    /// Told each time the connection is lost and a new one is being tried (the attempt, from 1).
    public var onReconnecting: ((Int) -> Void)? {
        get { claims.onReconnecting }
        set { claims.onReconnecting = newValue }
    }
    /// Connections lost and made again.
    public var reconnections: Int { claims.reconnections }
    /// Whether the queue's reviewers work masked unless they choose otherwise.
    public let masksByDefault: Bool
    /// Settling disputes (`--adjudicate`): a quality lead's claims on disputed pairs, whose
    /// verdicts are final, instead of the review queue.
    public let adjudicating: Bool

    /// Opens the queue at `url` for its session role, which must be allowed to review (or,
    /// `adjudicate`, to adjudicate: 77 otherwise).
    public init(url: String, leaseSeconds: Double = 120, adjudicate: Bool = false) throws(ClericalError) {
        let queue = try PostgresQueue.open(try PostgresAddress(url: url))
        adjudicating = adjudicate
        do {
            claims = try PostgresReviewQueue(queue, leaseSeconds: leaseSeconds)
            if adjudicate { try queue.require(.adjudicate) }
            let link = queue.link
            let (fields, masks, current) = try queue.withStore { link throws in
                (try link.queueRows("SELECT name FROM field ORDER BY position", []).map { $0.text("name") },
                 try Reviewers.masksByDefault(link), try ModelStore.currentModel(link))
            }
            guard let current else {
                throw ClericalError(.dataError, "\(link.address): the queue has no model yet; import predictions first")
            }
            masksByDefault = masks
            modelVersionID = current.id
            evidence = PairEvidence(fieldNames: fields, model: current.model)
        } catch let error as ClericalError {
            queue.close()
            throw error
        } catch {
            queue.close()
            throw ClericalError(.ioError, "\(queue.address): \(error)")
        }
    }

    public func close() { claims.close() }

    // MARK: - Reading

    public func counts() throws(ClericalError) -> QueueCounts {
        try claims.retrying { () throws(ClericalError) in
            let link = claims.link
            return try reading { try QueueCounts.read { ReadingStatement(link, sql: $0) } }
        }
    }

    public func pair(_ id: Int64) throws(ClericalError) -> ReviewPair {
        try claims.retrying { () throws(ClericalError) in try load(id, kind: .review, withVerdict: true) }
    }

    public func recentVerdicts(limit: Int) throws(ClericalError) -> [OwnVerdict] {
        try claims.retrying { () throws(ClericalError) in
            let loader = loader()
            return try reading { try loader.recentVerdicts(limit: limit) }
        }
    }

    // MARK: - Claims and verdicts

    public func claimNext(excluding skipped: Set<Int64>) throws(ClericalError) -> ReviewPair? {
        if adjudicating { return try nextDispute(excluding: skipped) }
        return try shown(try claims.claimNext(excluding: skipped)).pair
    }

    public func decideAndClaimNext(_ pairID: Int64, _ verdict: Verdict, note: String?, shown score: PatternScore?,
                                   excluding skipped: Set<Int64>,
                                   whileCommitting: (@Sendable ((OwnVerdict, ReviewPair?, QueueCounts)) -> Void)?)
        throws(ClericalError) -> (OwnVerdict, ReviewPair?, QueueCounts) {
        if adjudicating {
            let decidedAt = Timestamp.string(Date())
            var next: Int64?
            try once(pair: pairID, at: decidedAt) { () throws(ClericalError) in
                try transaction { link throws in
                    try settle(link, pairID)
                    next = try claimDispute(link, excluding: skipped)
                    try claims.appendDecision(pairID, .adjudication, verdict, note: note, decidedAt: decidedAt, shown: score)
                }
            }
            held[pairID] = nil
            let saved = OwnVerdict(pairID: pairID, verdict: verdict, note: note.flatMap { $0.isEmpty ? nil : $0 }, decidedAt: decidedAt)
            var shown: ReviewPair?
            if let id = next {
                held[id] = "adjudication"
                shown = try claims.retrying { () throws(ClericalError) in try load(id, kind: .adjudication, withVerdict: false) }
            } else {
                shown = try nextDispute(excluding: skipped)  // after a lost connection, its own claim comes first
            }
            return (saved, shown, try counts())
        }
        // The next pair's context is read after the commit: the round trip, not a disk, is what waits.
        let pair = PostgresReviewQueue.Claimed(id: pairID, kind: held[pairID] ?? "review", score: score ?? PatternScore(matchWeight: 0))
        let (saved, next) = try claims.decideAndClaimNext(pair, verdict, note: note, shown: score, excluding: skipped)
        held[pairID] = nil
        // The next pair, its context, the counts and the newest model: one statement after the verdict's one.
        let (nextPair, counts) = try shown(next, counting: true)
        if let counts { return (saved, nextPair, counts) }
        return (saved, nextPair, try self.counts())
    }

    /// A verdict on a pair this reviewer holds, or a correction of their standing verdict on a
    /// pair they decided: the pair's row locked, the claim ended, the decision appended last.
    @discardableResult
    public func decide(_ pairID: Int64, _ verdict: Verdict, note: String?, shown: PatternScore?) throws(ClericalError) -> OwnVerdict {
        let decidedAt = Timestamp.string(Date())
        let saved = OwnVerdict(pairID: pairID, verdict: verdict, note: note.flatMap { $0.isEmpty ? nil : $0 }, decidedAt: decidedAt)
        try once(pair: pairID, at: decidedAt) { () throws(ClericalError) in
            try transaction { link throws in
                if adjudicating {
                    try settle(link, pairID)
                    try claims.appendDecision(pairID, .adjudication, verdict, note: note, decidedAt: decidedAt, shown: shown)
                    return
                }
                let kind = try takeVerdict(link, pairID, verdict, correcting: true)
                try claims.appendDecision(pairID, kind, verdict, note: note, decidedAt: decidedAt, shown: shown)
            }
        }
        held[pairID] = nil
        return saved
    }

    /// Withdraws this reviewer's latest standing verdict (a decision row with no verdict) and
    /// claims the pair again, so it comes straight back.
    public func undoLast() throws(ClericalError) -> ReviewPair? {
        let decidedAt = Timestamp.string(Date())
        var undone: Int64?
        try claims.retrying { () throws(ClericalError) in
            let loader = loader()
            undone = try reading { try loader.recentVerdicts(limit: 1).first?.pairID }
        }
        guard let pairID = undone else { return nil }
        try once(pair: pairID, at: decidedAt) { () throws(ClericalError) in
            try transaction { link throws in
                _ = try link.queueRows("SELECT id FROM pair WHERE id = ? FOR NO KEY UPDATE", [.integer(pairID)])
                // A second review someone holds on it goes back to their list; the pair is this reviewer's again.
                try Claims.release(link, .init(pair: pairID, holder: nil))
                _ = try link.queueRows("SELECT * FROM take_claim(?, 'review', 0, ?, ?)",
                                       [.integer(pairID), .real(Date().timeIntervalSince1970), .real(leaseSeconds)])
                try claims.appendDecision(pairID, .review, nil, note: nil, decidedAt: decidedAt, shown: nil)
            }
        }
        held[pairID] = "review"
        return try pair(pairID)
    }

    public func jump(from current: Int64, to target: Int64) throws(ClericalError) -> ReviewPair {
        try claims.retrying { () throws(ClericalError) in
            try transaction { link throws in
                guard let open = try link.queueRows("""
                    SELECT t.review_priority FROM pair p JOIN pattern t ON t.id = p.pattern_id
                    WHERE p.id = ? AND p.state = 'pending' AND t.in_band = 1 FOR NO KEY UPDATE OF p SKIP LOCKED
                    """, [.integer(target)]).first else {
                    throw ClericalError(.tryAgain, "pair #\(target) is no longer pending: someone has claimed or decided it")
                }
                try Claims.release(link, .init(pair: current, holder: reviewer))
                _ = try link.queueRows("SELECT * FROM take_claim(?, 'review', ?, ?, ?)",
                                       [.integer(target), .real(open.double("review_priority")), .real(Date().timeIntervalSince1970), .real(leaseSeconds)])
            }
        }
        held[current] = nil
        held[target] = "review"
        return try load(target, kind: .review, withVerdict: false)
    }

    public func release(_ pairID: Int64) throws(ClericalError) {
        try claims.release(pairID)
        held[pairID] = nil
    }

    public func renewLease(_ pairID: Int64) throws(ClericalError) {
        try claims.retrying { () throws(ClericalError) in
            try transaction { link throws in
                try Claims.renew(link, pair: pairID, holder: reviewer, until: Date().timeIntervalSince1970 + leaseSeconds)
            }
        }
    }

    /// One row of the reveal log, committed before the values show; the log's lock orders its
    /// chain as `append_decision`'s orders the decisions'.
    public func reveal(_ pairID: Int64, field: String?) throws(ClericalError) {
        let content = RevealContent(pairID: pairID, reviewer: reviewer, field: field, revealedAt: Timestamp.string(Date()))
        try claims.retrying { () throws(ClericalError) in
            try transaction { link throws in
                try link.run("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.reveal'))")
                try content.append(link)
            }
        }
    }

    // MARK: - One record at a time

    /// Claims the next record with its pending candidates in the band: the pair the queue
    /// offers next (a second review or an audit pair stays on its own), then the record's
    /// other open candidates, most probable first, those no other transaction holds.
    public func claimNextGroup(excluding skipped: Set<Int64>) throws(ClericalError) -> RecordGroup? {
        guard let seed = try claimNext(excluding: skipped) else { return nil }
        guard held[seed.id] == "review" else { return RecordGroup(record: seed.left, candidates: [seed]) }
        var more: [Int64] = []
        try claims.retrying { () throws(ClericalError) in
            more = []
            try transaction { link throws in
                let now = Date().timeIntervalSince1970
                let exclusion = skipped.isEmpty ? "" : " AND p.id NOT IN (\(skipped.sorted().map(String.init).joined(separator: ", ")))"
                for row in try link.queueRows("""
                    SELECT p.id, t.review_priority FROM pair p JOIN pattern t ON t.id = p.pattern_id
                    WHERE (p.left_record_id = (SELECT left_record_id FROM pair WHERE id = ?) OR p.right_record_id = (SELECT left_record_id FROM pair WHERE id = ?))
                      AND p.id <> ? AND p.state = 'pending' AND t.in_band = 1\(exclusion)
                    ORDER BY t.match_probability DESC, p.id LIMIT ? FOR NO KEY UPDATE OF p SKIP LOCKED
                    """, [.integer(seed.id), .integer(seed.id), .integer(seed.id), .integer(Int64(ReviewQueue.groupLimit - 1))]) {
                    _ = try link.queueRows("SELECT * FROM take_claim(?, 'review', ?, ?, ?)",
                                           [.integer(row.int64("id")), .real(row.double("review_priority")), .real(now), .real(leaseSeconds)])
                    more.append(row.int64("id"))
                }
            }
        }
        var candidates = [seed]
        for pair in more {
            held[pair] = "review"
            candidates.append(try claims.retrying { () throws(ClericalError) in try load(pair, kind: .review, withVerdict: false) })
        }
        return RecordGroup(record: seed.left, candidates: candidates)
    }

    /// The group's verdicts in one transaction (`match` a match; the others non-matches when
    /// `othersAreNonMatches`, else handed back), the decisions appended last; then the next group.
    public func decideGroup(_ group: [Int64], match: Int64?, othersAreNonMatches: Bool, excluding skipped: Set<Int64>)
        throws(ClericalError) -> (decided: [OwnVerdict], next: RecordGroup?, counts: QueueCounts) {
        let decidedAt = Timestamp.string(Date())
        let verdicts: [(pair: Int64, verdict: Verdict)] = group.compactMap { pair in
            pair == match ? (pair, .match) : (othersAreNonMatches ? (pair, .nonMatch) : nil)
        }
        let write = { () throws(ClericalError) in
            try self.transaction { link throws in
                for pair in group where !verdicts.contains(where: { $0.pair == pair }) {
                    try Claims.release(link, .init(pair: pair, holder: self.reviewer))
                }
                let kinds = try verdicts.map { pair, verdict in try self.takeVerdict(link, pair, verdict, correcting: false) }
                for ((pair, verdict), kind) in zip(verdicts, kinds) {
                    try self.claims.appendDecision(pair, kind, verdict, note: nil, decidedAt: decidedAt, shown: nil)
                }
            }
        }
        if let first = verdicts.first { try once(pair: first.pair, at: decidedAt, write) } else { try claims.retrying(write) }
        for pair in group { held[pair] = nil }
        let decided = verdicts.map { OwnVerdict(pairID: $0.pair, verdict: $0.verdict, note: nil, decidedAt: decidedAt) }
        return (decided, try claimNextGroup(excluding: skipped), try counts())
    }

    /// Takes a decided group back in one transaction: each of `decided` withdrawn and claimed
    /// again, the group in hand (`releasing`) handed back.
    public func undoGroup(_ decided: [Int64], record: ReviewRecord, releasing: [Int64]) throws(ClericalError) -> RecordGroup {
        let decidedAt = Timestamp.string(Date())
        let write = { () throws(ClericalError) in
            try self.transaction { link throws in
                for pair in releasing where !decided.contains(pair) {
                    try Claims.release(link, .init(pair: pair, holder: self.reviewer))
                }
                for pair in decided {
                    try Claims.release(link, .init(pair: pair, holder: nil))
                    _ = try link.queueRows("SELECT * FROM take_claim(?, 'review', 0, ?, ?)",
                                           [.integer(pair), .real(Date().timeIntervalSince1970), .real(self.leaseSeconds)])
                }
                for pair in decided {
                    try self.claims.appendDecision(pair, .review, nil, note: nil, decidedAt: decidedAt, shown: nil)
                }
            }
        }
        if let first = decided.first { try once(pair: first, at: decidedAt, write) } else { try claims.retrying(write) }
        for pair in releasing { held[pair] = nil }
        var candidates: [ReviewPair] = []
        for pair in decided {
            held[pair] = "review"
            candidates.append(try claims.retrying { () throws(ClericalError) in try load(pair, kind: .review, withVerdict: false) })
        }
        return RecordGroup(record: record, candidates: candidates)
    }

    public func releaseGroup(_ group: [Int64]) throws(ClericalError) {
        try claims.retrying { () throws(ClericalError) in
            try transaction { link throws in
                for pair in group { try Claims.release(link, .init(pair: pair, holder: reviewer)) }
            }
        }
        for pair in group { held[pair] = nil }
    }

    public func renewGroup(_ group: [Int64]) throws(ClericalError) {
        try claims.retrying { () throws(ClericalError) in
            try transaction { link throws in
                let until = Date().timeIntervalSince1970 + leaseSeconds
                for pair in group { try Claims.renew(link, pair: pair, holder: reviewer, until: until) }
            }
        }
    }

    // MARK: - Adjudication

    /// The next disputed pair for this quality lead (their own claim first), claimed.
    private func nextDispute(excluding skipped: Set<Int64>) throws(ClericalError) -> ReviewPair? {
        var claimed: Int64?
        try claims.retrying { () throws(ClericalError) in
            try transaction { link throws in claimed = try claimDispute(link, excluding: skipped) }
        }
        guard let claimed else { return nil }
        held[claimed] = "adjudication"
        return try claims.retrying { () throws(ClericalError) in try load(claimed, kind: .adjudication, withVerdict: false) }
    }

    /// Claims a disputed pair in the caller's transaction, in `Claims.Order`'s order for
    /// adjudication: this reviewer's own claim first, then any unclaimed or expired one.
    private func claimDispute(_ link: PostgresLink, excluding skipped: Set<Int64>) throws -> Int64? {
        let now = Date().timeIntervalSince1970
        let exclusion = skipped.isEmpty ? "" : " AND p.id NOT IN (\(skipped.sorted().map(String.init).joined(separator: ", ")))"
        guard let found = try link.queueRows("""
            SELECT p.id FROM pair p LEFT JOIN claim c ON c.pair_id = p.id
            WHERE p.state = 'disputed' AND (c.pair_id IS NULL OR c.reviewer = ? OR c.lease_expires_at < ?)\(exclusion)
            ORDER BY (c.reviewer IS NOT DISTINCT FROM ?) DESC, p.id LIMIT 1 FOR NO KEY UPDATE OF p SKIP LOCKED
            """, [.text(reviewer), .real(now), .text(reviewer)]).first else { return nil }
        let pair = found.int64("id")
        _ = try link.queueRows("SELECT * FROM take_claim(?, 'adjudication', 0, ?, ?)", [.integer(pair), .real(now), .real(leaseSeconds)])
        return pair
    }

    /// Ends this quality lead's adjudication claim on a disputed pair, which is decided by the
    /// verdict about to be appended; refused (75) when the claim is no longer theirs.
    private func settle(_ link: PostgresLink, _ pairID: Int64) throws {
        let place = try heldRow(link, pairID)
        guard place.text("state") == PairState.disputed.rawValue, place.text("reviewer") == reviewer, place.text("kind") == "adjudication" else {
            throw ClericalError(.tryAgain, "pair \(pairID) is no longer yours to adjudicate (its claim expired and someone else took it)")
        }
        try Claims.end(link, pair: pairID)
        try link.queueExecute("UPDATE pair SET state = 'decided' WHERE id = ?", [.integer(pairID)])
    }

    /// Ends this reviewer's claim on a pair whose verdict is about to be appended, as the file's
    /// `ReviewQueue.record` does, and says which decision it is: a blind second review (its row
    /// done, the pair disputed when the verdicts differ), or a review (the pair decided). With
    /// `correcting`, a pair they decided and have not withdrawn passes too. Refused (75) when
    /// the pair is no longer theirs.
    private func takeVerdict(_ link: PostgresLink, _ pairID: Int64, _ verdict: Verdict, correcting: Bool) throws -> DecisionKind {
        let place = try heldRow(link, pairID)
        let state = place.text("state"), kind = place.text("kind"), mine = place.text("reviewer") == reviewer
        if mine, kind == "second-review" {
            try Claims.end(link, pair: pairID)
            try link.queueExecute("UPDATE second_review SET state = 'done' WHERE pair_id = ?", [.integer(pairID)])
            let first = try link.queueRows("SELECT verdict FROM decision WHERE pair_id = ? AND kind = 'review' ORDER BY id DESC LIMIT 1",
                                           [.integer(pairID)]).first?.optionalText("verdict")
            if let first, first != verdict.rawValue {
                try link.queueExecute("UPDATE pair SET state = 'disputed' WHERE id = ?", [.integer(pairID)])
            }
            return .secondReview
        }
        if mine, state == PairState.claimed.rawValue, kind == "review" || kind == "audit" {
            try Claims.end(link, pair: pairID)
            try link.queueExecute("UPDATE pair SET state = 'decided' WHERE id = ?", [.integer(pairID)])
            return .review
        }
        guard correcting, state == PairState.decided.rawValue, try ReviewQueue.hasStandingVerdict(link, pairID, reviewer: reviewer) else {
            throw ClericalError(.tryAgain, "pair \(pairID) is no longer yours to decide (its claim expired and another reviewer took it)")
        }
        return .review
    }

    /// The pair's state and the claim on it, the pair's row locked to the end of the transaction.
    private func heldRow(_ link: PostgresLink, _ pairID: Int64) throws -> QueueRow {
        guard let place = try link.queueRows("""
            SELECT p.state, c.reviewer, c.kind FROM pair p LEFT JOIN claim c ON c.pair_id = p.id WHERE p.id = ? FOR NO KEY UPDATE OF p
            """, [.integer(pairID)]).first else {
            throw ClericalError(.dataError, "pair \(pairID) is not in the queue")
        }
        return place
    }

    // MARK: - Loading

    /// A claimed pair as the screen shows it: a pair claimed for review or audit has no
    /// standing verdict of its own; a second review shows no first verdict. With `counting`,
    /// the queue's counts read in the same statement (none when nothing was claimed).
    private func shown(_ claimed: PostgresReviewQueue.Claimed?, counting: Bool = false) throws(ClericalError)
        -> (pair: ReviewPair?, counts: QueueCounts?) {
        guard let claimed else { return (nil, nil) }
        held[claimed.id] = claimed.kind
        let kind: DecisionKind = claimed.kind == "second-review" ? .secondReview : .review
        return try claims.retrying { () throws(ClericalError) in
            try load(claimed.id, kind: kind, withVerdict: false, counting: counting)
        }
    }

    private func load(_ id: Int64, kind: DecisionKind, withVerdict: Bool) throws(ClericalError) -> ReviewPair {
        try load(id, kind: kind, withVerdict: withVerdict, counting: false).pair
    }

    /// The pair with its context, and with `counting` the queue's counts in the same statement.
    /// The evidence is weighed with the newest model: looked up at most once a second by a
    /// statement of its own, except where the pair's statement reads it too (`counting`, a
    /// keypress after a verdict, which would otherwise pay that round trip whenever the
    /// reviewer took more than a second over the pair); a newer model found there is fetched
    /// and the pair read again under it.
    private func load(_ id: Int64, kind: DecisionKind, withVerdict: Bool, counting: Bool) throws(ClericalError)
        -> (pair: ReviewPair, counts: QueueCounts?) {
        if !counting && Date().timeIntervalSince(lastLookups) >= 1 {
            let link = claims.link
            try follow(newest: try reading {
                try link.queueRows("SELECT max(id) AS newest FROM model_version", []).first?.optionalInt64("newest")
            })
        }
        let loader = loader()
        let loaded = try reading { try loader.load(id, kind: kind, withVerdict: withVerdict, withContext: true, counting: counting) }
        guard counting, try follow(newest: loaded.newestModel) else { return (loaded.pair, loaded.counts) }
        let again = try reading { try self.loader().load(id, kind: kind, withVerdict: withVerdict, withContext: true) }
        return (again, loaded.counts)
    }

    /// The loader over this connection, with the model in use.
    private func loader() -> PairLoader<ReadingStatement<PostgresLink>> {
        let link = claims.link
        return PairLoader(prepare: { ReadingStatement(link, sql: $0) }, evidence: evidence, reviewer: reviewer)
    }

    /// Takes up the queue's newest model version when it is not the one in use; true when it
    /// changed (a re-estimation made it).
    @discardableResult
    private func follow(newest: Int64?) throws(ClericalError) -> Bool {
        lastLookups = Date()
        guard let newest, newest != modelVersionID else { return false }
        let link = claims.link
        guard let current = try reading({ try ModelStore.currentModel(link) }) else { return false }
        modelVersionID = current.id
        evidence = evidence.with(current.model)
        return true
    }

    // MARK: - Transactions

    /// Store code reading over this connection, its failures as `ClericalError`s.
    private func reading<T>(_ body: () throws -> T) throws(ClericalError) -> T {
        try claims.queue.withStore { _ throws in try body() }
    }

    /// Store code writing over this connection, in one transaction.
    private func transaction(_ body: (PostgresLink) throws -> Void) throws(ClericalError) {
        try claims.link.transaction { () throws(ClericalError) in try claims.queue.withStore(body) }
    }

    /// Runs a write that appends this reviewer's decision stamped `decidedAt`; each time the
    /// connection is lost, runs it again only if that decision did not commit.
    private func once(pair: Int64, at decidedAt: String, _ write: () throws(ClericalError) -> Void) throws(ClericalError) {
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try write()
            } catch where error.status == .unavailable && attempts < PostgresReviewQueue.attempts {
                if try claims.reconnecting({ () throws(ClericalError) in try claims.committed(pair: pair, at: decidedAt) }) { return }
            }
        }
    }
}
