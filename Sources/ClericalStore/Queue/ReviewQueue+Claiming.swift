import ClericalCore
import Foundation
import GRDB
import GRDBSQLite

/// Which pair to claim, in each kind's order: one's own, an audit pair while the audit's share
/// is due, a second review, the queue by priority (an expired claim first), a dispute in
/// adjudication mode, or a random pair. The claim itself is written by `Claims`.
extension ReviewQueue {
    // MARK: - Claims

    /// Claims the next pair to review and returns it, or nil when none is left.
    ///
    /// Order: a pair this reviewer already holds (say, from a session that was killed), then
    /// the pending pair the model is least sure of, then pairs whose claim has expired.
    public func claimNext(excluding skipped: Set<Int64> = []) throws(ClericalError) -> ReviewPair? {
        try write { db in try self.claim(db, excluding: skipped) }
    }

    func claim(_ db: Database, excluding skipped: Set<Int64>) throws -> ReviewPair? {
        let now = Date().timeIntervalSince1970
        let exclusion = SkippedPairs(skipped)
        if mode == .adjudicate { return try claimDisputed(db, exclusion: exclusion, now: now) }
        try refreshLookups(db)
        if secondReviewsOpen, let second = try claimSecondReview(db, skipped: skipped, now: now) { return second }
        // The reviewer's own live claim first (a session that was killed, a reassignment).
        if claimsToLookAt, let mine = try ownClaim(db, exclusion: exclusion, now: now) {
            return try take(db, mine.id, kind: mine.kind, priority: mine.priority, now: now)  // with a fresh lease
        }

        // Then the next pair of the queued pattern the model is least sure of, unless an
        // expired claim comes before it.
        let next = try nextQueuedPair(db, exclusion: exclusion)
        // (With the queue dry, expired claims are all there is: look whatever the cache says.)
        let expired = claimsToLookAt || next == nil ? try expiredClaim(db, exclusion: exclusion, now: now) : nil
        if let expired, next == nil || expired.priority < next!.priority {
            return try take(db, expired.id, kind: expired.kind, priority: expired.priority, now: now)
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
        return try take(db, next.pairID, kind: .review, priority: next.priority, now: now)
    }

    enum AuditOffer { case pair(ReviewPair), bandsTurn(auditID: Int64), none }

    /// The pairs this session skipped, as a condition on whichever column names a pair in a
    /// query (empty when none was skipped).
    struct SkippedPairs {
        let ids: Set<Int64>
        init(_ ids: Set<Int64>) { self.ids = ids }

        func condition(on column: String) -> String {
            ids.isEmpty ? "" : "AND \(column) NOT IN (\(ids.map(String.init).joined(separator: ",")))"
        }
    }

    /// The next audit pair when the audit's share of the pairs offered calls for one (or the
    /// band has nothing), claimed like any pair and shown blind; else whose turn it is.
    func offerAudit(_ db: Database, exclusion: SkippedPairs, now: Double, bandHasPair: Bool) throws -> AuditOffer {
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
            WHERE a.audit_id = ? AND a.offered = 0 AND p.state = 'pending' \(exclusion.condition(on: "a.pair_id"))
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
        return .pair(try take(db, pairID, kind: .audit, priority: 0, now: now))
    }

    /// This reviewer's live claim on a queued pair (review or audit), if any.
    func ownClaim(_ db: Database, exclusion: SkippedPairs, now: Double) throws -> (id: Int64, kind: Claims.Kind, priority: Double)? {
        let own = try statement(db, """
            SELECT pair_id, kind, priority FROM claim
            WHERE reviewer = ? AND lease_expires_at >= ? AND (kind = 'review' OR kind = 'audit') \(exclusion.condition(on: "pair_id"))
            ORDER BY priority LIMIT 1
            """)
        own.bind(1, reviewer)
        own.bind(2, now)
        return try own.first { (id: $0.int64(0), kind: Claims.Kind(rawValue: $0.text(1) ?? "") ?? .review, priority: $0.double(2)) }
    }

    /// The queued pair (review or audit) whose claim ran out, first in priority.
    func expiredClaim(_ db: Database, exclusion: SkippedPairs, now: Double) throws -> (id: Int64, kind: Claims.Kind, priority: Double)? {
        let expired = try statement(db, """
            SELECT pair_id, kind, priority FROM claim
            WHERE lease_expires_at < ? AND (kind = 'review' OR kind = 'audit') \(exclusion.condition(on: "pair_id"))
            ORDER BY priority LIMIT 1
            """)
        expired.bind(1, now)
        return try expired.first { (id: $0.int64(0), kind: Claims.Kind(rawValue: $0.text(1) ?? "") ?? .review, priority: $0.double(2)) }
    }

    /// A sampled pair this reviewer did not decide first: blind second reviews come before
    /// the queue. The reviewer's own live claim on one comes first of all.
    func claimSecondReview(_ db: Database, skipped: Set<Int64>, now: Double) throws -> ReviewPair? {
        let exclusion = SkippedPairs(skipped).condition(on: "s.pair_id")
        return try claimFirst(db, now: now, kind: .secondReview, query: """
            SELECT s.pair_id FROM second_review s LEFT JOIN claim c ON c.pair_id = s.pair_id
            WHERE s.state <> 'done' AND s.first_reviewer <> ?1
              AND (s.state = 'pending' OR c.reviewer = ?1 OR c.lease_expires_at < ?2) \(exclusion)
            ORDER BY c.reviewer IS ?1 DESC, s.pair_id LIMIT 1
            """)
    }

    /// A disputed pair for a quality lead: the reviewer's own claim first, then any unclaimed
    /// or expired one.
    func claimDisputed(_ db: Database, exclusion: SkippedPairs, now: Double) throws -> ReviewPair? {
        try claimFirst(db, now: now, kind: .adjudication, query: """
            SELECT p.id FROM pair p LEFT JOIN claim c ON c.pair_id = p.id
            WHERE p.state = 'disputed'
              AND (c.pair_id IS NULL OR c.reviewer = ?1 OR c.lease_expires_at < ?2) \(exclusion.condition(on: "p.id"))
            ORDER BY c.reviewer IS ?1 DESC, p.id LIMIT 1
            """)
    }

    /// Runs `query` (?1 the reviewer, ?2 now) for a pair, claims it as `kind` and loads it.
    func claimFirst(_ db: Database, now: Double, kind: Claims.Kind, query: String) throws -> ReviewPair? {
        let open = try statement(db, query)
        open.bind(1, reviewer)
        open.bind(2, now)
        guard let pairID = try open.first({ $0.int64(0) }) else { return nil }
        try Claims.acquire(prepare(db), pair: pairID, kind: kind, holder: reviewer, until: now + leaseSeconds, priority: 0)
        return try loadPair(db, pairID, kind: kind == .secondReview ? .secondReview : .adjudication)
    }

    /// The first open pair of the queued pattern with the lowest review priority, passing
    /// over pairs this session skipped and parts of the queue kept for other reviewers. A
    /// reviewer with a reservation meets their own part first.
    func nextQueuedPair(_ db: Database, exclusion: SkippedPairs) throws
        -> (pairID: Int64, patternID: Int64, priority: Double, probability: Double)? {
        let filter = ReservationFilter(reservationsSeen, reviewer: reviewer)
        if filter.isEmpty {
            return try search(db, pairSQL: "SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' \(exclusion.condition(on: "id")) ORDER BY id LIMIT 1") { _ in true }
        }
        let pairSQL = "SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' \(exclusion.condition(on: "id")) \(filter.pairCondition) ORDER BY id LIMIT 1"
        if !filter.mine.isEmpty, let mine = try search(db, pairSQL: pairSQL, where: filter.isMine) { return mine }
        if let myShare = filter.myShareCondition,
           let mine = try search(db, pairSQL: pairSQL.replacingOccurrences(of: "ORDER BY", with: "\(myShare) ORDER BY"), where: filter.allows) {
            return mine
        }
        return try search(db, pairSQL: pairSQL, where: filter.allows)
    }

    /// Walks the queued patterns in priority order (those `accepts` lets through) and returns
    /// the first pair `pairSQL` finds in one.
    func search(_ db: Database, pairSQL: String, where accepts: (Double) -> Bool) throws
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
            return try self.take(db, id, kind: .review, priority: 0, now: Date().timeIntervalSince1970)
        }
    }

    /// Claims a queued pair: `priority` is where it stands should its lease run out.
    func take(_ db: Database, _ id: Int64, kind: Claims.Kind, priority: Double, now: Double) throws -> ReviewPair {
        try Claims.acquire(prepare(db), pair: id, kind: kind, holder: reviewer, until: now + leaseSeconds, priority: priority)
        return try loadPair(db, id, withVerdict: false)  // a claimed pair has no standing verdict of its own
    }

    /// Claims' statements from this connection's cache.
    func prepare(_ db: Database) -> Claims.Prepare {
        { sql in try self.statement(db, sql) }
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
}
