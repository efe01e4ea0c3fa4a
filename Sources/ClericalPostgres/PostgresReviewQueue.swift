import ClericalCore
import ClericalStore
import Foundation
import PostgresNIO

/// One reviewer working a PostgreSQL queue: claims with leases, verdicts appended to the hash
/// chain, and the next claim in the verdict's own transaction, as `ReviewQueue` does on SQLite.
/// The reviewer is the database role that logged in (`session_user`).
///
/// Claims are taken with `SELECT … FOR NO KEY UPDATE SKIP LOCKED` (not `FOR UPDATE`, which
/// would block the foreign-key checks of another reviewer's decision on the same pattern or
/// pair while this one waits for the chain: a deadlock): a reviewer passes over the pattern,
/// pair or claim another reviewer's transaction holds instead of queueing behind it, so
/// reviewers never wait on one writer lock. What still goes one at a time is the decision
/// chain itself: each row's hash covers the previous row's, so a verdict appends to it last
/// (`append_decision`, which takes the chain's advisory lock) and keeps the lock until it commits.
///
/// The order is SQLite's (`Claims.Order`): a blind second review of a pair someone else
/// decided; this reviewer's own live claim; the queued pattern the model is least sure of,
/// unless a claim that ran out stands before it; audit pairs in among them at the audit's
/// share. Reservations are not applied on PostgreSQL yet.
///
///     let queue = try PostgresReviewQueue(try PostgresQueue.open(address))
///     var pair = try queue.claimNext()
///     while let current = pair { pair = try queue.decideAndClaimNext(current.id, .match, shown: current.score) }
package final class PostgresReviewQueue {
    /// A claimed pair: what a reviewer needs to decide it.
    package struct Claimed: Sendable, Equatable {
        package var id: Int64
        package var kind: String
        package var score: PatternScore
    }

    package private(set) var queue: PostgresQueue
    package let reviewer: String
    /// Told each time the connection is lost and a new one is being tried (the attempt, from 1).
    package var onReconnecting: ((Int) -> Void)?
    /// Connections lost and made again.
    package private(set) var reconnections = 0
    /// A claim or a verdict takes milliseconds; one with no answer in this long is taken for a
    /// lost connection, and made again.
    static let answerSeconds = 5.0
    let leaseSeconds: Double
    private var link: PostgresLink { queue.link }

    package init(_ queue: PostgresQueue, leaseSeconds: Double = 120) throws(ClericalError) {
        self.queue = queue
        self.leaseSeconds = leaseSeconds
        queue.link.answerSeconds = Self.answerSeconds
        reviewer = try queue.account()
        try queue.require(.review)
    }

    package func close() { queue.close() }

    // MARK: - The reviewer's calls

    /// Claims the next pair for this reviewer, passing over `skipped`; nil when none is left.
    package func claimNext(excluding skipped: Set<Int64> = []) throws(ClericalError) -> Claimed? {
        do {
            return try link.transaction { () throws(ClericalError) in try claim(excluding: skipped) }
        } catch where error.status == .unavailable {
            try reconnect()
            return try claimNext(excluding: skipped)
        }
    }

    /// Records a verdict on the pair in hand and claims the next, in one transaction: one
    /// durable commit per verdict. A pair whose lease ran out and that someone else has since
    /// taken is refused (75, "no longer yours").
    ///
    /// When the connection is lost, this reconnects (with backoff) and finds out whether the
    /// verdict's transaction committed before the loss: if it did, the verdict stands and the
    /// pair claimed with it is this reviewer's own live claim, which the next claim returns; if
    /// not, the transaction runs again. Either way it returns only once the verdict is durable.
    package func decideAndClaimNext(_ pair: Int64, _ verdict: Verdict, note: String? = nil, shown: PatternScore?,
                                    excluding skipped: Set<Int64> = []) throws(ClericalError) -> Claimed? {
        let decidedAt = Timestamp.string(Date())
        do {
            return try link.transaction { () throws(ClericalError) in
                // The chain is appended to last, just before COMMIT: its lock is held for two
                // round trips and the commit, not for the claim of the next pair as well.
                let kind = try record(pair, verdict)
                let next = try claim(excluding: skipped)
                try appendDecision(pair, kind: kind, verdict: verdict, note: note, shown: shown, decidedAt: decidedAt)
                return next
            }
        } catch where error.status == .unavailable {
            try reconnect()
            if try one("SELECT 1 FROM decision WHERE pair_id = $1 AND reviewer = $2 AND decided_at = $3", pair, reviewer, decidedAt) != nil {
                return try claimNext(excluding: skipped)
            }
            return try decideAndClaimNext(pair, verdict, note: note, shown: shown, excluding: skipped)
        }
    }

    /// A new connection after the old one was lost: tries with growing pauses (50 ms to 2 s)
    /// for about a minute, then gives up with the server unreachable (69).
    private func reconnect() throws(ClericalError) {
        var pause = 0.05, waited = 0.0, attempt = 0
        queue.close()
        while true {
            attempt += 1
            onReconnecting?(attempt)
            do {
                queue = try PostgresQueue.open(queue.address)
                queue.link.answerSeconds = Self.answerSeconds
                lookups = Lookups()
                reconnections += 1
                return
            } catch where error.status == .unavailable && waited < 60 {
                usleep(UInt32(pause * 1_000_000))
                waited += pause
                pause = min(2, pause * 2)
            }
        }
    }

    /// Hands a pair back: it goes where it came from (an audit pair waits to be offered again).
    package func release(_ pair: Int64) throws(ClericalError) {
        do {
            try releaseOnce(pair)
        } catch where error.status == .unavailable {
            try reconnect()
            try releaseOnce(pair)
        }
    }

    private func releaseOnce(_ pair: Int64) throws(ClericalError) {
        try link.transaction { () throws(ClericalError) in
            guard let held = try one("SELECT kind FROM claim WHERE pair_id = $1 AND reviewer = $2 FOR NO KEY UPDATE", pair, reviewer) else { return }
            let kind = try PostgresQueue.text(held, 0)
            switch kind {
            case "second-review": try run("UPDATE second_review SET state = 'pending' WHERE pair_id = $1 AND state = 'claimed'", pair)
            case "adjudication": break
            default: try run("UPDATE pair SET state = 'pending' WHERE id = $1 AND state = 'claimed'", pair)
            }
            try run("DELETE FROM claim WHERE pair_id = $1", pair)
            if kind == "audit" {
                let reopened = try link.rows("UPDATE audit_pair SET offered = 0 WHERE pair_id = $1 AND offered = 1 RETURNING audit_id", try Self.bindings([pair]))
                if let row = reopened.first {
                    try run("UPDATE audit SET offered_audit = greatest(0, offered_audit - 1) WHERE id = $1",
                            try PostgresQueue.decode(row, 0, as: Int64.self))
                }
            }
        }
    }

    // MARK: - Verdicts

    /// Checks that the pair is this reviewer's to decide and moves it (and its second review)
    /// to its decided state; returns the kind of decision to append.
    private func record(_ pair: Int64, _ verdict: Verdict) throws(ClericalError) -> DecisionKind {
        guard let row = try one("""
            SELECT p.state, c.kind, c.reviewer FROM pair p LEFT JOIN claim c ON c.pair_id = p.id WHERE p.id = $1 FOR NO KEY UPDATE OF p
            """, pair) else {
            throw ClericalError(.dataError, "pair \(pair) is not in the queue")
        }
        let cells = row.makeRandomAccess()
        let state = try cells[0].decodeText()
        let kind = try cells[1].decodeText(), mine = try cells[2].decodeText() == reviewer
        if mine, kind == "second-review" {
            try run("WITH ended AS (DELETE FROM claim WHERE pair_id = $1) UPDATE second_review SET state = 'done' WHERE pair_id = $1", pair)
            if let first = try one("SELECT verdict FROM decision WHERE pair_id = $1 AND kind = 'review' ORDER BY id DESC LIMIT 1", pair),
               try first.makeRandomAccess()[0].decodeText() != verdict.rawValue {
                try run("UPDATE pair SET state = 'disputed' WHERE id = $1", pair)
            }
            return .secondReview
        }
        guard state == PairState.claimed.rawValue, mine, kind == "review" || kind == "audit" else {
            throw ClericalError(.tryAgain, "pair \(pair) is no longer yours to decide (its claim expired and another reviewer took it)")
        }
        try run("WITH ended AS (DELETE FROM claim WHERE pair_id = $1) UPDATE pair SET state = 'decided' WHERE id = $1", pair)
        return .review
    }

    /// Appends a decision to the chain with `append_decision`: the chain's advisory lock (one
    /// per queue schema) orders the appends, and the row before is read and this one inserted
    /// and linked in one round trip, so the lock is held for that and the commit alone.
    private func appendDecision(_ pair: Int64, kind: DecisionKind, verdict: Verdict?, note: String?, shown: PatternScore?,
                                decidedAt: String) throws(ClericalError) {
        let content = DecisionContent(pairID: pair, reviewer: reviewer, kind: kind, verdict: verdict,
                                      note: note.flatMap { $0.isEmpty ? nil : $0 }, decidedAt: decidedAt,
                                      shownMatchWeight: shown?.matchWeight, shownMatchProbability: shown?.matchProbability)
        var values = PostgresBindings()
        values.append(pair)
        values.append(reviewer)
        values.append(kind.rawValue)
        values.append(verdict?.rawValue)
        values.append(content.note)
        values.append(content.decidedAt)
        values.append(content.shownMatchWeight)
        values.append(content.shownMatchProbability)
        values.append(HashChain.serialised(content.chainFields))
        try link.run("SELECT append_decision($1, $2, $3, $4, $5, $6, $7, $8, $9)", values)
    }

    // MARK: - Claims

    /// What changes rarely, looked up at most once a second (as `Claims.Order.Lookups` on
    /// SQLite): whether second reviews are open, whether an audit has pairs waiting, whether any
    /// claim is this reviewer's or has run out.
    private struct Lookups {
        var secondReviewsOpen = true
        var auditWaiting = true
        var claimsToLookAt = true
        var readAt = -Double.infinity
    }
    private var lookups = Lookups()

    private func refreshLookups(now: Double) throws(ClericalError) {
        guard now - lookups.readAt >= 1 else { return }
        guard let row = try one("""
            SELECT EXISTS (SELECT 1 FROM second_review WHERE state <> 'done'),
                   EXISTS (SELECT 1 FROM audit_pair WHERE offered = 0),
                   EXISTS (SELECT 1 FROM claim WHERE kind IN ('review', 'audit') AND (reviewer = $1 OR lease_expires_at < $2))
            """, reviewer, now) else { return }
        lookups = Lookups(secondReviewsOpen: try PostgresQueue.decode(row, 0, as: Bool.self),
                          auditWaiting: try PostgresQueue.decode(row, 1, as: Bool.self),
                          claimsToLookAt: try PostgresQueue.decode(row, 2, as: Bool.self), readAt: now)
    }

    private func claim(excluding skipped: Set<Int64>) throws(ClericalError) -> Claimed? {
        let now = Date().timeIntervalSince1970
        let passed = Array(skipped)
        try refreshLookups(now: now)
        if lookups.secondReviewsOpen, let second = try one("""
            SELECT s.pair_id FROM second_review s LEFT JOIN claim c ON c.pair_id = s.pair_id
            WHERE s.state <> 'done' AND s.first_reviewer <> $1
              AND (s.state = 'pending' OR c.reviewer = $1 OR c.lease_expires_at < $2) AND NOT (s.pair_id = ANY($3))
            ORDER BY (c.reviewer IS NOT DISTINCT FROM $1) DESC, s.pair_id LIMIT 1
            FOR NO KEY UPDATE OF s SKIP LOCKED
            """, reviewer, now, passed) {
            return try take(try PostgresQueue.decode(second, 0, as: Int64.self), kind: "second-review", priority: 0, now: now)
        }
        if lookups.claimsToLookAt, let own = try one("""
            SELECT pair_id, kind, priority FROM claim
            WHERE reviewer = $1 AND lease_expires_at >= $2 AND kind IN ('review', 'audit') AND NOT (pair_id = ANY($3))
            ORDER BY priority LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED
            """, reviewer, now, passed) {
            return try take(try PostgresQueue.decode(own, 0, as: Int64.self), kind: try PostgresQueue.text(own, 1),
                            priority: try PostgresQueue.decode(own, 2, as: Double.self), now: now)
        }
        let queued = try nextQueuedPair(excluding: passed)
        // With the queue dry, claims that ran out are all there is: look whatever the lookups say.
        let expired = lookups.claimsToLookAt || queued == nil ? try one("""
            SELECT pair_id, kind, priority FROM claim
            WHERE lease_expires_at < $1 AND kind IN ('review', 'audit') AND NOT (pair_id = ANY($2))
            ORDER BY priority LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED
            """, now, passed) : nil
        if let expired {
            let priority = try PostgresQueue.decode(expired, 2, as: Double.self)
            if queued == nil || priority < queued!.priority {
                return try take(try PostgresQueue.decode(expired, 0, as: Int64.self), kind: try PostgresQueue.text(expired, 1),
                                priority: priority, now: now)
            }
        }
        if lookups.auditWaiting, let audit = try offerAudit(excluding: passed, bandHasPair: queued != nil, now: now) {
            switch audit {
            case .pair(let claimed): return claimed
            case .bandsTurn(let auditID): try run("UPDATE audit SET offered_band = offered_band + 1 WHERE id = $1", auditID)
            }
        }
        guard let queued else { return nil }
        return try take(queued.pair, kind: "review", priority: queued.priority, now: now, score: queued.score)
    }

    /// The first open pair of the queued pattern with the lowest review priority that no other
    /// transaction holds. When every queued pattern is held, waits for the first rather than
    /// calling the queue empty.
    private typealias Queued = (pair: Int64, priority: Double, score: PatternScore)

    private func nextQueuedPair(excluding passed: [Int64]) throws(ClericalError) -> Queued? {
        // Never wait on a pattern's lock: a locking SELECT walking down the patterns keeps the
        // locks of rows that stopped qualifying while it waited, and two such walks deadlock.
        // Each try is in a savepoint, so a pattern locked but with no pair to give is let go
        // again (rolling back to a savepoint releases its row locks). When every queued
        // pattern is held by others (the end of a queue), try again after a short pause.
        var pause: useconds_t = 500
        while true {
            try link.run("SAVEPOINT queued_pair")
            if let found = try queuedPair(excluding: passed) {
                try link.run("RELEASE SAVEPOINT queued_pair")
                return found
            }
            try link.run("ROLLBACK TO SAVEPOINT queued_pair")
            guard try one("SELECT 1 FROM pattern WHERE in_band = 1 AND open_count > 0 LIMIT 1") != nil else { return nil }
            usleep(pause)
            pause = min(20_000, pause * 2)
        }
    }

    /// The queued pattern first in priority that no other transaction holds, and its first open pair.
    private func queuedPair(excluding passed: [Int64]) throws(ClericalError) -> Queued? {
        guard let pattern = try one("""
            SELECT id, review_priority, match_weight, match_probability FROM pattern WHERE in_band = 1 AND open_count > 0
            ORDER BY review_priority LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED
            """) else { return nil }
        let id = try PostgresQueue.decode(pattern, 0, as: Int64.self)
        let priority = try PostgresQueue.decode(pattern, 1, as: Double.self)
        var score = PatternScore(matchWeight: try PostgresQueue.decode(pattern, 2, as: Double.self))
        score.matchProbability = try PostgresQueue.decode(pattern, 3, as: Double.self)  // as stored, bit for bit
        if let pair = try one("""
            SELECT id FROM pair WHERE pattern_id = $1 AND state = 'pending' AND NOT (id = ANY($2))
            ORDER BY id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED
            """, id, passed) {
            return (try PostgresQueue.decode(pair, 0, as: Int64.self), priority, score)
        }
        // Only pairs this session skipped are left in it: look past them.
        return passed.isEmpty ? nil : try nextQueuedPairPastSkipped(passed)
    }

    /// The slow path when this session skipped pairs: the first queued pair not skipped.
    private func nextQueuedPairPastSkipped(_ passed: [Int64]) throws(ClericalError) -> Queued? {
        guard let row = try one("""
            SELECT p.id, t.review_priority, t.match_weight, t.match_probability FROM pattern t JOIN pair p ON p.pattern_id = t.id
            WHERE t.in_band = 1 AND t.open_count > 0 AND p.state = 'pending' AND NOT (p.id = ANY($1))
            ORDER BY t.review_priority, p.id LIMIT 1 FOR NO KEY UPDATE OF p SKIP LOCKED
            """, passed) else { return nil }
        var score = PatternScore(matchWeight: try PostgresQueue.decode(row, 2, as: Double.self))
        score.matchProbability = try PostgresQueue.decode(row, 3, as: Double.self)
        return (try PostgresQueue.decode(row, 0, as: Int64.self), try PostgresQueue.decode(row, 1, as: Double.self), score)
    }

    private enum AuditOffer { case pair(Claimed), bandsTurn(Int64) }

    /// The next audit pair when the audit's share of what is offered calls for one (or the
    /// band has nothing); else whose turn it is. Nil when no audit has pairs waiting.
    private func offerAudit(excluding passed: [Int64], bandHasPair: Bool, now: Double) throws(ClericalError) -> AuditOffer? {
        guard let audit = try one("""
            SELECT id, share, offered_audit, offered_band FROM audit a
            WHERE EXISTS (SELECT 1 FROM audit_pair p WHERE p.audit_id = a.id AND p.offered = 0) ORDER BY id LIMIT 1
            FOR NO KEY UPDATE
            """) else { return nil }
        let id = try PostgresQueue.decode(audit, 0, as: Int64.self)
        let share = try PostgresQueue.decode(audit, 1, as: Double.self)
        let offeredAudit = Double(try PostgresQueue.decode(audit, 2, as: Int64.self))
        let offeredBand = Double(try PostgresQueue.decode(audit, 3, as: Int64.self))
        if bandHasPair, offeredAudit >= share * (offeredAudit + offeredBand + 1) { return .bandsTurn(id) }
        guard let waiting = try one("""
            SELECT a.pair_id FROM audit_pair a JOIN pair p ON p.id = a.pair_id
            WHERE a.audit_id = $1 AND a.offered = 0 AND p.state = 'pending' AND NOT (a.pair_id = ANY($2))
            ORDER BY a.pair_id LIMIT 1 FOR NO KEY UPDATE OF a, p SKIP LOCKED
            """, id, passed) else {
            try run("""
                UPDATE audit_pair SET offered = 1 WHERE audit_id = $1 AND offered = 0
                  AND pair_id IN (SELECT id FROM pair WHERE state <> 'pending')
                """, id)
            return bandHasPair ? .bandsTurn(id) : nil
        }
        let pair = try PostgresQueue.decode(waiting, 0, as: Int64.self)
        try run("UPDATE audit_pair SET offered = 1 WHERE pair_id = $1", pair)
        try run("UPDATE audit SET offered_audit = offered_audit + 1 WHERE id = $1", id)
        return .pair(try take(pair, kind: "audit", priority: 0, now: now))
    }

    /// Claims `pair` for this reviewer (replacing a claim that ran out, or renewing its own):
    /// the row's claimed state and the claim in one statement. `score`, when the caller read it
    /// already (a queued pattern's), saves reading it again.
    private func take(_ pair: Int64, kind: String, priority: Double, now: Double, score: PatternScore? = nil) throws(ClericalError) -> Claimed {
        let claimedState: String
        switch kind {
        case "second-review": claimedState = "UPDATE second_review SET state = 'claimed' WHERE pair_id = $1 AND state <> 'claimed'"
        case "adjudication": claimedState = "SELECT 1"
        default: claimedState = "UPDATE pair SET state = 'claimed' WHERE id = $1 AND state <> 'claimed'"
        }
        try run("""
            WITH state AS (\(claimedState))
            INSERT INTO claim (pair_id, kind, reviewer, lease_expires_at, priority) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (pair_id) DO UPDATE SET kind = excluded.kind, reviewer = excluded.reviewer,
                lease_expires_at = excluded.lease_expires_at, priority = excluded.priority
            """, pair, kind, reviewer, now + leaseSeconds, priority)
        if let score { return Claimed(id: pair, kind: kind, score: score) }
        guard let scored = try one("""
            SELECT t.match_weight, t.match_probability FROM pair p JOIN pattern t ON t.id = p.pattern_id WHERE p.id = $1
            """, pair) else { throw ClericalError(.dataError, "pair \(pair) is not in the queue") }
        var stored = PatternScore(matchWeight: try PostgresQueue.decode(scored, 0, as: Double.self))
        stored.matchProbability = try PostgresQueue.decode(scored, 1, as: Double.self)  // as stored, bit for bit
        return Claimed(id: pair, kind: kind, score: stored)
    }

    // MARK: - Statements

    private static func bindings(_ values: [any PostgresEncodable]) throws(ClericalError) -> PostgresBindings {
        var binds = PostgresBindings()
        do {
            for value in values { try binds.append(value) }
        } catch {
            throw ClericalError(.ioError, "a value cannot be sent to PostgreSQL: \(error)")
        }
        return binds
    }

    private func run(_ sql: String, _ values: any PostgresEncodable...) throws(ClericalError) {
        try link.run(sql, try Self.bindings(values))
    }

    private func one(_ sql: String, _ values: any PostgresEncodable...) throws(ClericalError) -> PostgresRow? {
        try link.rows(sql, try Self.bindings(values)).first
    }
}

private extension PostgresCell {
    func decodeText() throws(ClericalError) -> String? {
        do { return try decode(String?.self) } catch { throw ClericalError(.dataError, "\(columnName) does not read: \(error)") }
    }
}
