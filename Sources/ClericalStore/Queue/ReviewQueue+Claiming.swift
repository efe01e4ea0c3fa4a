import ClericalCore
import Foundation
import GRDB
import GRDBSQLite

/// Claiming as the screen sees it: the next pair, a random pair, keeping a claim alive and
/// handing it back. Which pair comes next is `Claims.Order`'s; the claim itself is `Claims`'.
extension ReviewQueue {
    /// Claims the next pair to review and returns it, or nil when none is left (see
    /// `Claims.Order` for the order of each kind).
    public func claimNext(excluding skipped: Set<Int64> = []) throws(ClericalError) -> ReviewPair? {
        try withContext(try write { db in try self.claim(db, excluding: skipped) })
    }

    /// Claims the next pair inside the caller's transaction (a verdict and the next claim
    /// commit together).
    func claim(_ db: Database, excluding skipped: Set<Int64>) throws -> ReviewPair? {
        try refreshLookups(db)
        var order = claimOrder(db)
        defer { claimLookups = order.lookups }
        guard let claimed = try order.next(excluding: skipped, now: Date().timeIntervalSince1970) else { return nil }
        return try loadClaimed(db, claimed)
    }

    /// Claims an undecided pair from a random place in the queue, queued or decided by the
    /// model alike: what a reviewer sampling candidate pairs at random would meet. `fraction`
    /// in [0, 1) picks the place. Returns nil when every pair is decided or claimed.
    public func claimRandom(at fraction: Double) throws(ClericalError) -> ReviewPair? {
        try withContext(try write { db in
            guard let claimed = try self.claimOrder(db).random(at: fraction, now: Date().timeIntervalSince1970) else { return nil }
            return try self.loadClaimed(db, claimed)
        })
    }

    /// Claims `target`, a pending pair of the review band (another candidate of a record on
    /// screen), and hands `current` back, in one transaction. Refused, with `current` kept, when
    /// `target` is no longer pending.
    public func jump(from current: Int64, to target: Int64) throws(ClericalError) -> ReviewPair {
        let pair = try write { db in
            let open = try self.statement(db, """
                SELECT t.review_priority FROM pair p JOIN pattern t ON t.id = p.pattern_id
                WHERE p.id = ? AND p.state = 'pending' AND t.in_band = 1
                """)
            open.bind(1, target)
            guard let priority = try open.first({ $0.double(0) }) else {
                throw ClericalError(.tryAgain, "pair #\(target) is no longer pending: someone has claimed or decided it")
            }
            try Claims.release(db, .init(pair: current, holder: self.reviewer))
            self.claimLookups.claimHandedBack()
            let claimed = try self.claimOrder(db).take(target, kind: .review, priority: priority, now: Date().timeIntervalSince1970)
            return try self.loadClaimed(db, claimed)
        }
        return try withContext(pair) ?? pair
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
            self.claimLookups.claimHandedBack()
        }
    }

    /// This reviewer's claim order for one transaction, with what the queue last looked up.
    func claimOrder(_ db: Database) -> Claims.Order {
        Claims.Order(reviewer: reviewer, adjudicating: mode == .adjudicate, leaseSeconds: leaseSeconds,
                     db: db, prepare: prepare(db), lookups: claimLookups)
    }

    /// A claimed pair as the screen shows it: a pair claimed for review or audit has no
    /// standing verdict of its own.
    func loadClaimed(_ db: Database, _ claimed: Claims.Order.Claimed) throws -> ReviewPair {
        switch claimed.kind {
        case .review, .audit: try loadPair(db, claimed.pair, withVerdict: false)
        case .secondReview: try loadPair(db, claimed.pair, kind: .secondReview)
        case .adjudication: try loadPair(db, claimed.pair, kind: .adjudication)
        }
    }

    /// Claims' statements from this connection's cache.
    func prepare(_ db: Database) -> Claims.Prepare {
        { sql in try self.statement(db, sql) }
    }
}
