import ClericalCore
import Foundation
import GRDB

/// Part of the queue kept for a named reviewer.
public struct Reservation: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        /// Pairs whose match probability lies in [low, high].
        case band(low: Double, high: Double)
        /// A share of the pending pairs, in thousandths: those with id mod 1000 in [from, to).
        case share(from: Int, to: Int)
    }

    public var reviewer: String
    public var part: Part

    public var description: String {
        switch part {
        case let .band(low, high): return "\(reviewer): pairs with match probability \(low):\(high)"
        case let .share(from, to): return "\(reviewer): \(Double(to - from) / 10)% of the pairs"
        }
    }
}

/// Reservations: supervisors keep part of the queue for named reviewers; everyone else passes
/// it over, and the named reviewers meet it first.
public enum Reservations {
    public static func add(queue path: String, reviewer: String, band: ReviewBand?, share: Double?, by account: String) throws(ClericalError) {
        guard Reviewers.isValidName(reviewer) else { throw ClericalError(.usage, "\"\(reviewer)\" is not an account name") }
        try QueueFile.using(path, writing: true) { db in try add(db, reviewer: reviewer, band: band, share: share, by: account) }
    }

    /// On either backend, inside the caller's transaction.
    package static func add(_ db: some QueueWriting, reviewer: String, band: ReviewBand?, share: Double?, by account: String) throws {
        try Reviewers.require(.manageClaims, account: account, db)
        let rule = try Reviewers.rule(db)
        if !rule.reviewers.isEmpty && rule.reviewers[reviewer] == nil {
            throw ClericalError(.usage, "\(reviewer) is not a registered reviewer of this queue")
        }
        if case let .probability(low, high)? = band {
            try db.queueExecute("INSERT INTO reservation (reviewer, low, high, created_at) VALUES (?, ?, ?, ?)",
                                [.text(reviewer), .real(low), .real(high), .text(Timestamp.now())])
        } else if let share {
            // Shares never overlap: each takes the next free thousandths.
            let used = try db.queueRow("SELECT coalesce(max(share_to), 0) AS used FROM reservation WHERE share_to IS NOT NULL")?.int("used") ?? 0
            let size = Int((share * 1000).rounded())
            guard size >= 1, used + size <= 1000 else {
                throw ClericalError(.usage, "--share \(share): only \(Double(1000 - used) / 10)% of the queue is left to reserve")
            }
            try db.queueExecute("INSERT INTO reservation (reviewer, share_from, share_to, created_at) VALUES (?, ?, ?, ?)",
                                [.text(reviewer), .integer(Int64(used)), .integer(Int64(used + size)), .text(Timestamp.now())])
        } else {
            throw ClericalError(.usage, "reserve a band (--band LOW:HIGH, match probability) or a share (--share F)")
        }
    }

    public static func remove(queue path: String, reviewer: String, by account: String) throws(ClericalError) {
        try QueueFile.using(path, writing: true) { db in try remove(db, reviewer: reviewer, by: account) }
    }

    package static func remove(_ db: some QueueWriting, reviewer: String, by account: String) throws {
        try Reviewers.require(.manageClaims, account: account, db)
        try db.queueExecute("DELETE FROM reservation WHERE reviewer = ?", [.text(reviewer)])
    }

    public static func list(queue path: String) throws(ClericalError) -> [Reservation] {
        try QueueFile.using(path) { db in try all(db) }
    }

    package static func all(_ db: some QueueReading) throws -> [Reservation] {
        try db.queueRows("SELECT reviewer, low, high, share_from, share_to FROM reservation ORDER BY id").map { row in
            if let low = row.optionalDouble("low"), let high = row.optionalDouble("high") {
                return Reservation(reviewer: row.text("reviewer"), part: .band(low: low, high: high))
            }
            return Reservation(reviewer: row.text("reviewer"), part: .share(from: row.int("share_from"), to: row.int("share_to")))
        }
    }
}

/// How one reviewer's claims see the reservations.
struct ReservationFilter {
    /// Bands kept for this reviewer, and for others only.
    var mine: [(low: Double, high: Double)] = []
    var othersBands: [(low: Double, high: Double)] = []
    /// Thousandths kept for this reviewer, and for others.
    var myShares: [Range<Int>] = []
    var othersShares: [Range<Int>] = []

    init(_ reservations: [Reservation], reviewer: String) {
        for reservation in reservations {
            let isMine = reservation.reviewer == reviewer
            switch reservation.part {
            case let .band(low, high): if isMine { mine.append((low, high)) } else { othersBands.append((low, high)) }
            case let .share(from, to): if isMine { myShares.append(from..<to) } else { othersShares.append(from..<to) }
            }
        }
        // A band kept for me as well as for others is open to me.
        othersBands.removeAll { band in mine.contains { $0.low <= band.low && $0.high >= band.high } }
    }

    var isEmpty: Bool { mine.isEmpty && othersBands.isEmpty && myShares.isEmpty && othersShares.isEmpty }

    /// False when the pattern's pairs are kept for someone else.
    func allows(probability: Double) -> Bool {
        !othersBands.contains { probability >= $0.low && probability <= $0.high }
            || mine.contains { probability >= $0.low && probability <= $0.high }
    }

    func isMine(probability: Double) -> Bool {
        mine.contains { probability >= $0.low && probability <= $0.high }
    }

    /// SQL that keeps out pairs whose share belongs to someone else.
    var pairCondition: String {
        othersShares.map { "AND NOT (id % 1000 >= \($0.lowerBound) AND id % 1000 < \($0.upperBound))" }.joined(separator: " ")
    }

    /// SQL that keeps only this reviewer's own share.
    var myShareCondition: String? {
        guard !myShares.isEmpty else { return nil }
        return "AND (" + myShares.map { "(id % 1000 >= \($0.lowerBound) AND id % 1000 < \($0.upperBound))" }.joined(separator: " OR ") + ")"
    }
}
