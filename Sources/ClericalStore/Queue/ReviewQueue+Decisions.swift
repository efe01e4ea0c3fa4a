import ClericalCore
import Foundation
import GRDB
import GRDBSQLite

/// Recording verdicts (with the next claim in the same transaction), undo, and the one INSERT
/// of a decision row (`DecisionAppender`).
extension ReviewQueue {
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
        // The next pair's context: read before the commit on this connection when its page
        // cache is still warm (no other process has written since its last transaction: a
        // reviewer working alone), a fraction of a cold read; otherwise on the second
        // connection while the commit waits for the disk, with this verdict put in, so that the
        // writers' turn is not held for it. Then the screen's own work (the next frame).
        let reader = contextReader, reviewer = self.reviewer
        let read = ContextBox()
        let alongside: @Sendable ((OwnVerdict, ReviewPair?, QueueCounts, contextRead: Bool)) -> Void = { outcome in
            var next = outcome.1
            if !outcome.contextRead, let pair = next,
               let context = try? reader.context(pair.id, own: .init(pair: pairID, verdict: verdict, reviewer: reviewer)) {
                next?.context = context
                read.set(context)
            }
            whileCommitting?((outcome.0, next, outcome.2))
        }
        var (saved, next, counts, contextRead) = try write(whileCommitting: alongside) { db in
            let warm = try self.writerCacheIsWarm(db)
            let saved = try self.record(db, pairID, verdict, note: note, shown: shown)
            self.reestimationIsDue = try self.checkReestimationDue(db)
            var next = try self.claim(db, excluding: skipped)
            if warm, let pair = next {
                next?.context = try self.contextLoader(db).load(pair.id)
                self.contextsReadBeforeCommit += 1
            }
            return (saved, next, try self.counts(db), contextRead: warm)
        }
        if !contextRead {
            // Read after the commit instead when the reader could not (the frame drawn meanwhile is then redrawn).
            if let context = read.get() { next?.context = context } else { next = try withContext(next) }
        }
        return (saved, next, counts)
    }

    /// Whether no other connection has committed since this one's last transaction (`PRAGMA
    /// data_version` unchanged), so that SQLite has kept its page cache. Called once in each
    /// keypress's transaction.
    func writerCacheIsWarm(_ db: Database) throws -> Bool {
        let version = try statement(db, "PRAGMA data_version").first { $0.int64(0) }
        defer { writerDataVersion = version }
        return version != nil && version == writerDataVersion
    }

    func record(_ db: Database, _ pairID: Int64, _ verdict: Verdict, note: String?, shown: PatternScore?) throws -> OwnVerdict {
        let lookup = try statement(db, "SELECT state FROM pair WHERE id = ?")
        lookup.bind(1, pairID)
        guard let state = try lookup.first({ $0.text(0) ?? "" }) else {
            throw ClericalError(.dataError, "pair \(pairID) is not in the queue")
        }
        let claim = try Claims.held(prepare(db), pair: pairID)
        let mineToDecide = claim?.holder == reviewer
        if mode == .adjudicate {
            guard state == PairState.disputed.rawValue, mineToDecide, claim?.kind == .adjudication else {
                throw ClericalError(.tryAgain, "pair \(pairID) is no longer yours to adjudicate (its claim expired and someone else took it)")
            }
            let content = try appendDecision(db, pairID: pairID, kind: .adjudication, verdict: verdict, note: note, shown: shown)
            try db.execute(sql: "UPDATE pair SET state = 'decided' WHERE id = ?", arguments: [pairID])
            try Claims.end(prepare(db), pair: pairID)
            return OwnVerdict(pairID: pairID, verdict: verdict, note: content.note, decidedAt: content.decidedAt)
        }
        if mineToDecide, claim?.kind == .secondReview {
            let content = try appendDecision(db, pairID: pairID, kind: .secondReview, verdict: verdict, note: note, shown: shown)
            try db.execute(sql: "UPDATE second_review SET state = 'done' WHERE pair_id = ?", arguments: [pairID])
            try Claims.end(prepare(db), pair: pairID)
            let first = try String.fetchOne(db, sql: """
                SELECT verdict FROM decision WHERE pair_id = ? AND kind = 'review' ORDER BY id DESC LIMIT 1
                """, arguments: [pairID])
            if let first, first != verdict.rawValue {
                try db.execute(sql: "UPDATE pair SET state = 'disputed' WHERE id = ?", arguments: [pairID])
            }
            return OwnVerdict(pairID: pairID, verdict: verdict, note: content.note, decidedAt: content.decidedAt)
        }
        let standing = state == PairState.decided.rawValue ? try hasStandingVerdict(db, pairID) : false
        let mine = (state == PairState.claimed.rawValue && mineToDecide) || standing
        guard mine else {
            throw ClericalError(.tryAgain, "pair \(pairID) is no longer yours to decide (its claim expired and another reviewer took it)")
        }
        let content = try appendDecision(db, pairID: pairID, kind: .review, verdict: verdict, note: note, shown: shown)
        if state == PairState.claimed.rawValue {
            let decided = try statement(db, "UPDATE pair SET state = 'decided' WHERE id = ?")
            decided.bind(1, pairID)
            try decided.step()
            try Claims.end(prepare(db), pair: pairID)
        }
        return OwnVerdict(pairID: pairID, verdict: verdict, note: content.note, decidedAt: content.decidedAt)
    }

    /// Logs that this reviewer, in masked review, showed `field` of the pair in full (nil: the
    /// whole pair): one row of the hash-chained reveal log, committed before the values show.
    public func reveal(_ pairID: Int64, field: String?) throws(ClericalError) {
        try write { db in
            try RevealContent(pairID: pairID, reviewer: self.reviewer, field: field, revealedAt: Timestamp.now()).append(db)
        }
    }

    /// Withdraws this reviewer's latest standing verdict (a new decision row with no verdict)
    /// and claims the pair again, so it comes straight back. Returns the pair, or nil when
    /// there is nothing to undo.
    public func undoLast() throws(ClericalError) -> ReviewPair? {
        try withContext(try write { db in
            guard let last = try Row.fetchOne(db, sql: """
                SELECT d.pair_id FROM decision d
                WHERE d.reviewer = ? AND d.kind = 'review' AND d.verdict IS NOT NULL
                  AND d.id = (SELECT max(id) FROM decision WHERE pair_id = d.pair_id AND reviewer = d.reviewer AND kind = 'review')
                ORDER BY d.id DESC LIMIT 1
                """, arguments: [self.reviewer]) else { return nil }
            let pairID: Int64 = last["pair_id"]
            _ = try self.appendDecision(db, pairID: pairID, kind: .review, verdict: nil, note: nil, shown: nil)
            // A second review someone holds on it goes back to their list; the pair is this reviewer's again.
            try Claims.release(db, .init(pair: pairID, holder: nil))
            try Claims.acquire(self.prepare(db), pair: pairID, kind: .review, holder: self.reviewer,
                               until: Date().timeIntervalSince1970 + self.leaseSeconds, priority: 0)
            return try self.loadPair(db, pairID)
        })
    }


    func hasStandingVerdict(_ db: Database, _ pairID: Int64) throws -> Bool {
        try Self.hasStandingVerdict(db, pairID, reviewer: reviewer)
    }

    /// Whether `reviewer`'s latest review decision on the pair has a verdict (not withdrawn):
    /// what they may correct. On either backend.
    package static func hasStandingVerdict(_ db: some QueueReading, _ pairID: Int64, reviewer: String) throws -> Bool {
        try db.queueRow("""
            SELECT verdict FROM decision WHERE pair_id = ? AND reviewer = ? AND kind = 'review' ORDER BY id DESC LIMIT 1
            """, [.integer(pairID), .text(reviewer)])?.optionalText("verdict") != nil
    }

    func appendDecision(_ db: Database, pairID: Int64, kind: DecisionKind, verdict: Verdict?, note: String?,
                                shown: PatternScore?) throws -> DecisionContent {
        let previous = try statement(db, "SELECT hash FROM decision ORDER BY id DESC LIMIT 1").first { $0.text(0) } ?? nil
        let content = DecisionContent(pairID: pairID, reviewer: reviewer, kind: kind, verdict: verdict,
                                      note: note.flatMap { $0.isEmpty ? nil : $0 }, decidedAt: Timestamp.now(),
                                      shownMatchWeight: shown?.matchWeight, shownMatchProbability: shown?.matchProbability)
        let insert = try statement(db, DecisionAppenderSQL.insert)
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
}

/// The context read alongside a commit, handed back to the thread that waited for it.
final class ContextBox: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private var context: PairContext?

    func set(_ value: PairContext?) { lock.withLock { context = value } }
    func get() -> PairContext? { lock.withLock { context } }
}
