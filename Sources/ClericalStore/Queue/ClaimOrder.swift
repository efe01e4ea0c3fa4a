import Foundation
import GRDB

extension Claims {
    /// Which pair one reviewer claims next, in each kind's order, and the claim on it.
    ///
    /// In adjudication mode: a disputed pair (the reviewer's own claim first). Otherwise: a
    /// blind second review of a pair someone else decided; the reviewer's own live claim (a
    /// session that was killed, a reassignment); the queued pattern the model is least sure
    /// of, unless a claim that ran out stands before it; and audit pairs in among them at the
    /// audit's share of what is offered.
    ///
    /// What changes rarely (`Lookups`) lives in the queue between claims and is looked up
    /// at most once a second, so that a claim on the keypress path costs a few indexed reads.
    /// An order is made for one write transaction: it holds that transaction's connection.
    struct Order {
        let reviewer: String
        let adjudicating: Bool
        let leaseSeconds: Double
        let db: Database
        /// Statements come from here: the review queue's cache of prepared statements.
        let prepare: Prepare
        var lookups: Lookups

        /// Reservations, open second reviews, audits, and whether any claim is this
        /// reviewer's or has expired.
        struct Lookups {
            var reservations: [Reservation] = []
            var secondReviewsOpen = false
            /// Whether an audit has pairs waiting to be offered, and whether any audit exists.
            var auditWaiting = false
            var auditsExist = false
            /// Whether any claim might be this reviewer's or might have expired: then those
            /// are looked for first.
            var claimsToLookAt = true

            /// A claim went back to the queue: if it was an audit pair, it waits to be offered again.
            mutating func claimHandedBack() {
                if auditsExist { auditWaiting = true }
            }
        }

        /// What a claim found: the pair and the kind of claim now on it.
        typealias Claimed = (pair: Int64, kind: Kind)

        /// Looks up what changes rarely.
        mutating func refreshLookups(now: Double) throws {
            var found: [Reservation] = []
            try prepare("SELECT reviewer, low, high, share_from, share_to FROM reservation").each { row in
                let part: Reservation.Part = row.isNull(1)
                    ? .share(from: Int(row.int64(3)), to: Int(row.int64(4)))
                    : .band(low: row.double(1), high: row.double(2))
                found.append(Reservation(reviewer: row.text(0) ?? "", part: part))
            }
            lookups.reservations = found
            let claims = try prepare("""
                SELECT EXISTS (SELECT 1 FROM claim WHERE (kind = 'review' OR kind = 'audit') AND (reviewer = ? OR lease_expires_at < ?))
                """)
            claims.bind(1, reviewer)
            claims.bind(2, now)
            lookups.claimsToLookAt = try claims.first { $0.int64(0) == 1 } ?? true
            lookups.secondReviewsOpen = try exists("SELECT EXISTS (SELECT 1 FROM second_review WHERE state <> 'done')")
            lookups.auditsExist = try exists("SELECT EXISTS (SELECT 1 FROM audit)")
            lookups.auditWaiting = lookups.auditsExist ? try exists("SELECT EXISTS (SELECT 1 FROM audit_pair WHERE offered = 0)") : false
        }

        private func exists(_ sql: String) throws -> Bool {
            try prepare(sql).first { $0.int64(0) == 1 } ?? false
        }

        /// Claims the next pair for this reviewer, passing over `skipped`; nil when none is left.
        mutating func next(excluding skipped: Set<Int64>, now: Double) throws -> Claimed? {
            let exclusion = SkippedPairs(skipped)
            if adjudicating { return try disputed(exclusion: exclusion, now: now) }
            if lookups.secondReviewsOpen, let second = try secondReview(exclusion: exclusion, now: now) { return second }
            if lookups.claimsToLookAt, let mine = try ownClaim(exclusion: exclusion, now: now) {
                return try take(mine.pair, kind: mine.kind, priority: mine.priority, now: now)  // with a fresh lease
            }

            // The next pair of the queued pattern the model is least sure of, unless an expired
            // claim comes before it. (With the queue dry, expired claims are all there is: look
            // whatever the cache says.)
            let queued = try nextQueuedPair(exclusion: exclusion)
            let expired = lookups.claimsToLookAt || queued == nil ? try expiredClaim(exclusion: exclusion, now: now) : nil
            if let expired, queued == nil || expired.priority < queued!.priority {
                return try take(expired.pair, kind: expired.kind, priority: expired.priority, now: now)
            }
            var auditOffering: Int64?
            if lookups.auditWaiting {
                switch try offerAudit(exclusion: exclusion, now: now, bandHasPair: queued != nil) {
                case .pair(let claimed): return claimed
                case .bandsTurn(let auditID): auditOffering = auditID
                case .none: break
                }
            }
            guard let queued else { return nil }
            if let auditOffering {
                try db.execute(sql: "UPDATE audit SET offered_band = offered_band + 1 WHERE id = ?", arguments: [auditOffering])
            }
            // The claim pushes the pattern's next pair back (the open_count trigger).
            return try take(queued.pair, kind: .review, priority: queued.priority, now: now)
        }

        /// Claims an undecided pair from a random place in the queue, queued or decided by the
        /// model alike: what a reviewer sampling candidate pairs at random would meet.
        /// `fraction` in [0, 1) picks the place. Nil when every pair is decided or claimed.
        func random(at fraction: Double, now: Double) throws -> Claimed? {
            let last = try prepare("SELECT max(id) FROM pair").first { $0.int64(0) } ?? 0
            let query = try prepare("SELECT id FROM pair WHERE id >= ? AND state = 'pending' ORDER BY id LIMIT 1")
            query.bind(1, Int64((fraction * Double(last)).rounded(.down)) + 1)
            var chosen = try query.first { $0.int64(0) }
            if chosen == nil {
                query.bind(1, Int64(1))  // wrap around to the start
                chosen = try query.first { $0.int64(0) }
            }
            guard let pair = chosen else { return nil }
            return try take(pair, kind: .review, priority: 0, now: now)
        }

        /// Claims `pair` for this reviewer: `priority` is where it stands should its lease run out.
        func take(_ pair: Int64, kind: Kind, priority: Double, now: Double) throws -> Claimed {
            try acquire(prepare, pair: pair, kind: kind, holder: reviewer, until: now + leaseSeconds, priority: priority)
            return (pair, kind)
        }

        // MARK: - Each kind's order

        private enum AuditOffer { case pair(Claimed), bandsTurn(auditID: Int64), none }

        /// The next audit pair when the audit's share of the pairs offered calls for one (or
        /// the band has nothing); else whose turn it is.
        private mutating func offerAudit(exclusion: SkippedPairs, now: Double, bandHasPair: Bool) throws -> AuditOffer {
            let open = try prepare("""
                SELECT id, share, offered_audit, offered_band FROM audit a
                WHERE EXISTS (SELECT 1 FROM audit_pair p WHERE p.audit_id = a.id AND p.offered = 0) ORDER BY id LIMIT 1
                """)
            guard let audit = try open.first({ (id: $0.int64(0), share: $0.double(1), audit: $0.double(2), band: $0.double(3)) }) else {
                lookups.auditWaiting = false
                return .none
            }
            if bandHasPair, audit.audit >= audit.share * (audit.audit + audit.band + 1) { return .bandsTurn(auditID: audit.id) }
            let waiting = try prepare("""
                SELECT a.pair_id FROM audit_pair a JOIN pair p ON p.id = a.pair_id
                WHERE a.audit_id = ? AND a.offered = 0 AND p.state = 'pending' \(exclusion.condition(on: "a.pair_id"))
                ORDER BY a.\(Self.drawOrder(of: "pair_id")) LIMIT 1
                """)
            waiting.bind(1, audit.id)
            guard let pair = try waiting.first({ $0.int64(0) }) else {
                // What waits was decided some other way meanwhile (in the band, say): no longer waiting.
                try db.execute(sql: """
                    UPDATE audit_pair SET offered = 1 WHERE audit_id = ? AND offered = 0
                      AND pair_id IN (SELECT id FROM pair WHERE state <> 'pending')
                    """, arguments: [audit.id])
                return bandHasPair ? .bandsTurn(auditID: audit.id) : .none
            }
            try db.execute(sql: "UPDATE audit_pair SET offered = 1 WHERE pair_id = ?", arguments: [pair])
            try db.execute(sql: "UPDATE audit SET offered_audit = offered_audit + 1 WHERE id = ?", arguments: [audit.id])
            return .pair(try take(pair, kind: .audit, priority: 0, now: now))
        }

        /// This reviewer's live claim on a queued pair (review or audit), if any.
        private func ownClaim(exclusion: SkippedPairs, now: Double) throws -> (pair: Int64, kind: Kind, priority: Double)? {
            let own = try prepare("""
                SELECT pair_id, kind, priority FROM claim
                WHERE reviewer = ? AND lease_expires_at >= ? AND (kind = 'review' OR kind = 'audit') \(exclusion.condition(on: "pair_id"))
                ORDER BY priority LIMIT 1
                """)
            own.bind(1, reviewer)
            own.bind(2, now)
            return try own.first { (pair: $0.int64(0), kind: Kind(rawValue: $0.text(1) ?? "") ?? .review, priority: $0.double(2)) }
        }

        /// The queued pair (review or audit) whose claim ran out, first in priority.
        private func expiredClaim(exclusion: SkippedPairs, now: Double) throws -> (pair: Int64, kind: Kind, priority: Double)? {
            let expired = try prepare("""
                SELECT pair_id, kind, priority FROM claim
                WHERE lease_expires_at < ? AND (kind = 'review' OR kind = 'audit') \(exclusion.condition(on: "pair_id"))
                ORDER BY priority LIMIT 1
                """)
            expired.bind(1, now)
            return try expired.first { (pair: $0.int64(0), kind: Kind(rawValue: $0.text(1) ?? "") ?? .review, priority: $0.double(2)) }
        }

        /// A sampled pair this reviewer did not decide first: blind second reviews come before
        /// the queue. The reviewer's own live claim on one comes first of all.
        private func secondReview(exclusion: SkippedPairs, now: Double) throws -> Claimed? {
            try first(kind: .secondReview, now: now, query: """
                SELECT s.pair_id FROM second_review s LEFT JOIN claim c ON c.pair_id = s.pair_id
                WHERE s.state <> 'done' AND s.first_reviewer <> ?1
                  AND (s.state = 'pending' OR c.reviewer = ?1 OR c.lease_expires_at < ?2) \(exclusion.condition(on: "s.pair_id"))
                ORDER BY c.reviewer IS ?1 DESC, s.pair_id LIMIT 1
                """)
        }

        /// A disputed pair for a quality lead: the reviewer's own claim first, then any
        /// unclaimed or expired one.
        private func disputed(exclusion: SkippedPairs, now: Double) throws -> Claimed? {
            try first(kind: .adjudication, now: now, query: """
                SELECT p.id FROM pair p LEFT JOIN claim c ON c.pair_id = p.id
                WHERE p.state = 'disputed'
                  AND (c.pair_id IS NULL OR c.reviewer = ?1 OR c.lease_expires_at < ?2) \(exclusion.condition(on: "p.id"))
                ORDER BY c.reviewer IS ?1 DESC, p.id LIMIT 1
                """)
        }

        /// Runs `query` (?1 the reviewer, ?2 now) for a pair and claims it as `kind`.
        private func first(kind: Kind, now: Double, query: String) throws -> Claimed? {
            let open = try prepare(query)
            open.bind(1, reviewer)
            open.bind(2, now)
            guard let pair = try open.first({ $0.int64(0) }) else { return nil }
            return try take(pair, kind: kind, priority: 0, now: now)
        }

        private typealias Queued = (pair: Int64, priority: Double)

        /// The order a pattern's open pairs are served in: a multiplicative (Fibonacci) hash of
        /// the pair id, which the index `open_pair_by_draw` keeps (migration v11; the server's
        /// functions spell it the same). Every pair of a pattern looks the same to the model,
        /// so the pairs reviewed must be a fair sample of the pattern for its verdicts to
        /// estimate its match rate; a file's row order often follows the truth instead.
        static let drawOrder = drawOrder(of: "id")

        /// `drawOrder` on a column naming a pair: an audit's pairs are offered in it too
        /// (index `audit_pair_waiting_by_draw`), so the part offered so far is a fair part.
        static func drawOrder(of column: String) -> String { "\(column) * 2654435761 % 4294967296" }

        /// The next open pair (`drawOrder`) of the queued pattern with the lowest review
        /// priority, passing over pairs this session skipped and parts of the queue kept for
        /// other reviewers. A reviewer with a reservation meets their own part first.
        private func nextQueuedPair(exclusion: SkippedPairs) throws -> Queued? {
            let filter = ReservationFilter(lookups.reservations, reviewer: reviewer)
            let skipped = exclusion.condition(on: "id")
            if filter.isEmpty {
                return try search(pairSQL: "SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' \(skipped) ORDER BY \(Self.drawOrder) LIMIT 1") { _ in true }
            }
            let kept = "SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' \(skipped) \(filter.pairCondition)"
            let drawn = " ORDER BY \(Self.drawOrder) LIMIT 1"
            if !filter.mine.isEmpty, let mine = try search(pairSQL: kept + drawn, where: filter.isMine) { return mine }
            if let myShare = filter.myShareCondition,
               let mine = try search(pairSQL: kept + " \(myShare)" + drawn, where: filter.allows) {
                return mine
            }
            return try search(pairSQL: kept + drawn, where: filter.allows)
        }

        /// Walks the queued patterns in priority order (those `accepts` lets through) and
        /// returns the first pair `pairSQL` finds in one.
        private func search(pairSQL: String, where accepts: (Double) -> Bool) throws -> Queued? {
            let patterns = try prepare("""
                SELECT id, review_priority, match_probability FROM pattern
                WHERE in_band = 1 AND open_count > 0 ORDER BY review_priority LIMIT ?
                """)
            let firstPair = try prepare(pairSQL)
            var limit: Int64 = 1
            while true {
                patterns.bind(1, limit)
                var candidates: [(id: Int64, priority: Double, probability: Double)] = []
                try patterns.each { candidates.append(($0.int64(0), $0.double(1), $0.double(2))) }
                for pattern in candidates.dropFirst(Int(limit / 4)) where accepts(pattern.probability) {  // the first quarter was seen last round
                    firstPair.bind(1, pattern.id)
                    if let pair = try firstPair.first({ $0.int64(0) }) { return (pair, pattern.priority) }
                }
                // Nothing in those patterns for this reviewer: look further down the queue.
                guard candidates.count == limit else { return nil }
                limit *= 4
            }
        }
    }

    /// The pairs a session skipped, as a condition on whichever column names a pair in a
    /// query (empty when none was skipped).
    struct SkippedPairs {
        let ids: Set<Int64>
        init(_ ids: Set<Int64>) { self.ids = ids }

        func condition(on column: String) -> String {
            ids.isEmpty ? "" : "AND \(column) NOT IN (\(ids.map(String.init).joined(separator: ",")))"
        }
    }
}
