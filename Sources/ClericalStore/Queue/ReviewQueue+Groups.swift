import ClericalCore
import Foundation
import GRDB

/// One record and its pending candidates, reviewed together (`clerical review --by-record`).
public struct RecordGroup: Sendable, Equatable {
    /// The record every candidate pairs with.
    public var record: ReviewRecord
    /// Its pending candidate pairs, most probable first, each claimed by this reviewer.
    public var candidates: [ReviewPair]

    /// The candidates are put most probable first (ties by pair id).
    public init(record: ReviewRecord, candidates: [ReviewPair]) {
        self.record = record
        self.candidates = candidates.sorted { ($0.score.matchProbability, $1.id) > ($1.score.matchProbability, $0.id) }
    }

    /// The other record of a candidate pair.
    public func other(_ pair: ReviewPair) -> ReviewRecord {
        pair.left.uniqueID == record.uniqueID && pair.left.sourceDataset == record.sourceDataset ? pair.right : pair.left
    }

    public var pairIDs: [Int64] { candidates.map(\.id) }
}

/// One-record review: a group is claimed in one transaction (a claim row per pair, taken,
/// renewed and handed back together), decided in one (a decision row per pair), and undone in
/// one.
extension ReviewQueue {
    /// Keys 1–9 choose among at most this many candidates; the rest wait for a later group.
    public static let groupLimit = 9

    /// Claims the next record (the first record of the pair the queue would offer next) with
    /// its pending candidates in the review band. Nil when nothing is left.
    public func claimNextGroup(excluding skipped: Set<Int64> = []) throws(ClericalError) -> RecordGroup? {
        try write { db in try self.claimGroup(db, excluding: skipped) }
    }

    func claimGroup(_ db: Database, excluding skipped: Set<Int64>) throws -> RecordGroup? {
        try refreshLookups(db)
        var order = claimOrder(db)
        defer { claimLookups = order.lookups }
        let now = Date().timeIntervalSince1970
        guard let first = try order.next(excluding: skipped, now: now) else { return nil }
        let seed = try loadClaimed(db, first)
        guard first.kind == .review, let record = try self.recordID(db, of: first.pair) else {
            return RecordGroup(record: seed.left, candidates: [seed])  // a second review or an audit pair: on its own
        }
        let others = try statement(db, """
            SELECT p.id, t.review_priority FROM pair p JOIN pattern t ON t.id = p.pattern_id
            WHERE (p.left_record_id = ?1 OR p.right_record_id = ?1) AND p.id <> ?2 AND p.state = 'pending' AND t.in_band = 1
            ORDER BY t.match_probability DESC, p.id LIMIT ?3
            """)
        others.bind(1, record)
        others.bind(2, first.pair)
        others.bind(3, Int64(Self.groupLimit - 1))
        var more: [(pair: Int64, priority: Double)] = []
        try others.each { more.append(($0.int64(0), $0.double(1))) }
        var candidates = [seed]
        for candidate in more where !skipped.contains(candidate.pair) {
            _ = try order.take(candidate.pair, kind: .review, priority: candidate.priority, now: now)
            candidates.append(try loadPair(db, candidate.pair, withVerdict: false))
        }
        return RecordGroup(record: seed.left, candidates: candidates)
    }

    private func recordID(_ db: Database, of pair: Int64) throws -> Int64? {
        let query = try statement(db, "SELECT left_record_id FROM pair WHERE id = ?")
        query.bind(1, pair)
        return try query.first { $0.int64(0) }
    }

    /// Records the group's verdicts in one transaction and claims the next group: `match` (one
    /// of the group's pairs, or nil for none) a match; the others non-matches when
    /// `othersAreNonMatches`, else handed back to the queue undecided.
    public func decideGroup(_ group: [Int64], match: Int64?, othersAreNonMatches: Bool, excluding skipped: Set<Int64> = [])
        throws(ClericalError) -> (decided: [OwnVerdict], next: RecordGroup?, counts: QueueCounts) {
        try write { db in
            var decided: [OwnVerdict] = []
            for pair in group {
                if pair == match {
                    decided.append(try self.record(db, pair, .match, note: nil, shown: nil))
                } else if othersAreNonMatches {
                    decided.append(try self.record(db, pair, .nonMatch, note: nil, shown: nil))
                } else {
                    try Claims.release(db, .init(pair: pair, holder: self.reviewer))
                }
            }
            self.reestimationIsDue = try self.checkReestimationDue(db)
            return (decided, try self.claimGroup(db, excluding: skipped), try self.counts(db))
        }
    }

    /// Takes a decided group back in one transaction: each of `decided` gets a withdrawal row
    /// and is claimed again; the group in hand (`releasing`) goes back to the queue. Returns
    /// the group again, its record `record`.
    public func undoGroup(_ decided: [Int64], record: ReviewRecord, releasing: [Int64]) throws(ClericalError) -> RecordGroup {
        try write { db in
            for pair in releasing where !decided.contains(pair) {
                try Claims.release(db, .init(pair: pair, holder: self.reviewer))
            }
            var candidates: [ReviewPair] = []
            for pair in decided {
                _ = try self.appendDecision(db, pairID: pair, kind: .review, verdict: nil, note: nil, shown: nil)
                try Claims.release(db, .init(pair: pair, holder: nil))
                try Claims.acquire(self.prepare(db), pair: pair, kind: .review, holder: self.reviewer,
                                   until: Date().timeIntervalSince1970 + self.leaseSeconds, priority: 0)
                candidates.append(try self.loadPair(db, pair, withVerdict: false))
            }
            return RecordGroup(record: record, candidates: candidates)
        }
    }

    /// Hands every pair of a group back (skip, or quit).
    public func releaseGroup(_ group: [Int64]) throws(ClericalError) {
        try write { db in
            for pair in group { try Claims.release(db, .init(pair: pair, holder: self.reviewer)) }
            self.claimLookups.claimHandedBack()
        }
    }

    /// Keeps the claims on a group alive while it is on screen.
    public func renewGroup(_ group: [Int64]) throws(ClericalError) {
        try write { db in
            for pair in group {
                try Claims.renew(db, pair: pair, holder: self.reviewer, until: Date().timeIntervalSince1970 + self.leaseSeconds)
            }
        }
    }
}
