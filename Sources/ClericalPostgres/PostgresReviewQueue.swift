import ClericalCore
import ClericalStore
import Foundation
import PostgresNIO

/// One reviewer working a PostgreSQL queue: claims with leases, verdicts appended to the hash
/// chain, and the next claim in the verdict's own transaction, as `ReviewQueue` does on SQLite.
/// The reviewer is the database role that logged in (`session_user`). A claim is one call of
/// the server function `claim_next`, and a verdict with the next claim one call of
/// `decide_and_claim_next_committed` (both in `PostgresSchema`): one round trip and one transaction per
/// keypress, where a dozen statements each crossing the network would cost more than the work.
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
/// share; parts of the queue reserved for named reviewers, as `ReservationFilter` keeps them.
///
///     let queue = try PostgresReviewQueue(try PostgresQueue.open(address))
///     var pair = try queue.claimNext()
///     while let current = pair { pair = try queue.decideAndClaimNext(current, .match, shown: current.score).next }
package final class PostgresReviewQueue {
    /// A claimed pair: what a reviewer needs to decide it.
    package struct Claimed: Sendable, Equatable {
        package var id: Int64
        package var kind: String
        package var score: PatternScore

        package init(id: Int64, kind: String, score: PatternScore) {
            self.id = id
            self.kind = kind
            self.score = score
        }
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
    package let leaseSeconds: Double
    package var link: PostgresLink { queue.link }

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
            return try claim(excluding: skipped)
        } catch where error.status == .unavailable {
            return try reconnecting { () throws(ClericalError) in try claim(excluding: skipped) }
        }
    }

    /// Records a verdict on the pair in hand and claims the next, in one transaction (one
    /// statement): one durable commit per verdict. A pair whose lease ran out and that someone else has since
    /// taken is refused (75, "no longer yours").
    ///
    /// When the connection is lost, this reconnects (with backoff) and finds out whether the
    /// verdict's transaction committed before the loss: if it did, the verdict stands and the
    /// pair claimed with it is this reviewer's own live claim, which the next claim returns; if
    /// not, the transaction runs again, with the same stamp, so that whichever attempt commits
    /// (one the server was still running when the connection went counts too) is found. Either
    /// way it returns only once the verdict is durable, and only for a verdict that is.
    package func decideAndClaimNext(_ pair: Claimed, _ verdict: Verdict, note: String? = nil, shown: PatternScore?,
                                    excluding skipped: Set<Int64> = []) throws(ClericalError) -> (saved: OwnVerdict, next: Claimed?) {
        let decidedAt = Timestamp.string(Date())
        let saved = OwnVerdict(pairID: pair.id, verdict: verdict, note: note.flatMap { $0.isEmpty ? nil : $0 }, decidedAt: decidedAt)
        var again = false, attempts = 0
        while true {
            attempts += 1
            do {
                return (saved, try decideAndClaim(pair, verdict, note: note, shown: shown, decidedAt: decidedAt, excluding: skipped))
            } catch where error.status == .unavailable && attempts < Self.attempts {
                if try reconnecting({ () throws(ClericalError) in try committed(pair: pair.id, at: decidedAt) }) {
                    return (saved, try claimNext(excluding: skipped))
                }
                again = true
            } catch where again && error.status == .tryAgain {
                // Refused as no longer ours: an earlier attempt may have decided it after all.
                if try committed(pair: pair.id, at: decidedAt) { return (saved, try claimNext(excluding: skipped)) }
                throw error
            }
        }
    }

    /// Whether this reviewer's decision row on `pair` stamped `decidedAt` is on the server: after
    /// a lost connection, whether the write in flight committed.
    package func committed(pair: Int64, at decidedAt: String) throws(ClericalError) -> Bool {
        try one("SELECT 1 FROM decision WHERE pair_id = $1 AND reviewer = $2 AND decided_at = $3", pair, reviewer, decidedAt) != nil
    }

    /// Runs `body` (a read, or a write that is safe to run again) and, if the connection is
    /// lost on the way, runs it again on a new one.
    package func retrying<T>(_ body: () throws(ClericalError) -> T) throws(ClericalError) -> T {
        do {
            return try body()
        } catch where error.status == .unavailable {
            return try reconnecting(body)
        }
    }

    /// Makes a new connection and runs `body` on it; when that one is lost too (a server
    /// dropping connections again and again), a newer one, up to `attempts` times.
    package func reconnecting<T>(_ body: () throws(ClericalError) -> T) throws(ClericalError) -> T {
        var lost = 0
        while true {
            try reconnect()
            do {
                return try body()
            } catch where error.status == .unavailable && lost < Self.attempts {
                lost += 1
            }
        }
    }

    /// How many times a call is tried over new connections before the loss is reported (69).
    package static let attempts = 20

    /// A new connection after the old one was lost: tries with growing pauses (50 ms to 2 s)
    /// for about a minute, then gives up with the server unreachable (69).
    package func reconnect() throws(ClericalError) {
        var pause = 0.05, waited = 0.0, attempt = 0
        queue.close()
        while true {
            attempt += 1
            onReconnecting?(attempt)
            do {
                queue = try PostgresQueue.open(queue.address)
                queue.link.answerSeconds = Self.answerSeconds
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
        try retrying { () throws(ClericalError) in
            try link.transaction { () throws(ClericalError) in try queue.releaseClaims(.init(pair: pair, holder: reviewer)) }
        }
    }

    // MARK: - The server functions

    /// The claim calls, each one statement: `claim_next` and `decide_and_claim_next_committed`
    /// (`PostgresSchema`'s review functions) run the whole of `Claims.Order` on the server.
    private func claim(excluding skipped: Set<Int64>) throws(ClericalError) -> Claimed? {
        let now = Date().timeIntervalSince1970
        return try claimed(try link.rows("SELECT * FROM claim_next($1, $2, $3)",
                                         try Self.bindings([now, leaseSeconds, Array(skipped)])))
    }

    private func decideAndClaim(_ pair: Claimed, _ verdict: Verdict, note: String?, shown: PatternScore?,
                                decidedAt: String, excluding skipped: Set<Int64>) throws(ClericalError) -> Claimed? {
        let kind: DecisionKind = pair.kind == "second-review" ? .secondReview : .review
        var values = decisionValues(pair.id, kind, verdict, note: note, decidedAt: decidedAt, shown: shown)
        values.append(Date().timeIntervalSince1970)
        values.append(leaseSeconds)
        values.append(Array(skipped))
        // The procedure commits before it answers (PostgresSchema says why); no next pair comes
        // back as a row of nulls.
        return try claimed(try link.rows("""
            CALL decide_and_claim_next_committed($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                                                 NULL::bigint, NULL::text, NULL::double precision, NULL::double precision)
            """, values))
    }

    /// Appends this reviewer's decision on `pair` to the chain (`append_decision`), last in the
    /// caller's transaction: it takes the chain's lock, held until the commit. A nil verdict
    /// withdraws (undo).
    package func appendDecision(_ pair: Int64, _ kind: DecisionKind, _ verdict: Verdict?, note: String?, decidedAt: String,
                                shown: PatternScore?) throws(ClericalError) {
        try link.run("SELECT append_decision($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                     decisionValues(pair, kind, verdict, note: note, decidedAt: decidedAt, shown: shown, withReviewer: true))
    }

    /// A decision's fields as the server functions take them, with the client's serialisation
    /// of them for the hash (`HashChain.serialised`), so the hash is the one SQLite would write.
    private func decisionValues(_ pair: Int64, _ kind: DecisionKind, _ verdict: Verdict?, note: String?, decidedAt: String,
                                shown: PatternScore?, withReviewer: Bool = false) -> PostgresBindings {
        let content = DecisionContent(pairID: pair, reviewer: reviewer, kind: kind, verdict: verdict,
                                      note: note.flatMap { $0.isEmpty ? nil : $0 }, decidedAt: decidedAt,
                                      shownMatchWeight: shown?.matchWeight, shownMatchProbability: shown?.matchProbability)
        var values = PostgresBindings()
        values.append(pair)
        if withReviewer { values.append(reviewer) }
        values.append(kind.rawValue)
        values.append(verdict?.rawValue)
        values.append(content.note)
        values.append(content.decidedAt)
        values.append(content.shownMatchWeight)
        values.append(content.shownMatchProbability)
        values.append(HashChain.serialised(content.chainFields))
        return values
    }

    private func claimed(_ rows: [PostgresRow]) throws(ClericalError) -> Claimed? {
        guard let row = rows.first, row.makeRandomAccess()[0].bytes != nil else { return nil }
        var score = PatternScore(matchWeight: try PostgresQueue.decode(row, 2, as: Double.self))
        score.matchProbability = try PostgresQueue.decode(row, 3, as: Double.self)  // as stored, bit for bit
        return Claimed(id: try PostgresQueue.decode(row, 0, as: Int64.self), kind: try PostgresQueue.text(row, 1), score: score)
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

    private func one(_ sql: String, _ values: any PostgresEncodable...) throws(ClericalError) -> PostgresRow? {
        try link.rows(sql, try Self.bindings(values)).first
    }
}
