import ClericalCore
import Foundation
import GRDB

/// One reveal in masked review: who showed which values of which pair, and when. Appended to
/// the `reveal` table, each row hash-linked to the one before (`HashChain`), so `verify`
/// finds a reveal removed or changed behind the tool's back.
package struct RevealContent {
    var pairID: Int64
    var reviewer: String
    /// The field shown in full; nil for the whole pair.
    var field: String?
    var revealedAt: String

    package init(pairID: Int64, reviewer: String, field: String?, revealedAt: String) {
        self.pairID = pairID
        self.reviewer = reviewer
        self.field = field
        self.revealedAt = revealedAt
    }

    package func hash(previous: String?) -> String {
        HashChain.link(previous: previous, [String(pairID), reviewer, field, revealedAt])
    }

    /// Appends the row to the chain, in the caller's transaction (on a server, one that holds
    /// the chain's lock).
    package func append(_ db: some QueueWriting) throws {
        let previous = try db.queueRow("SELECT hash FROM reveal ORDER BY id DESC LIMIT 1")?.optionalText("hash")
        try db.queueExecute("""
            INSERT INTO reveal (pair_id, reviewer, field, revealed_at, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?)
            """, [.integer(pairID), .text(reviewer), field.map(TableValue.text) ?? .null, .text(revealedAt),
                  previous.map(TableValue.text) ?? .null, .text(hash(previous: previous))])
    }
}

/// Reveals as quality leads read them: per reviewer, the reveals and the share of the pairs
/// they decided in which they revealed anything.
public struct RevealSummary: Sendable, Equatable, Codable {
    public var reviewer: String
    public var reveals: Int
    public var pairsRevealed: Int
    public var pairsDecided: Int

    public init(reviewer: String, reveals: Int, pairsRevealed: Int, pairsDecided: Int) {
        self.reviewer = reviewer
        self.reveals = reveals
        self.pairsRevealed = pairsRevealed
        self.pairsDecided = pairsDecided
    }

    public var shareRevealed: Double { pairsDecided > 0 ? Double(pairsRevealed) / Double(pairsDecided) : 0 }

    static func all(_ db: some QueueReading) throws -> [RevealSummary] {
        try db.queueRows("""
            SELECT r.reviewer, count(*) AS reveals, count(DISTINCT r.pair_id) AS pairs,
                   (SELECT count(DISTINCT pair_id) FROM decision d WHERE d.reviewer = r.reviewer AND d.verdict IS NOT NULL) AS decided
            FROM reveal r GROUP BY r.reviewer ORDER BY r.reviewer
            """).map { RevealSummary(reviewer: $0.text("reviewer"), reveals: $0.int("reveals"), pairsRevealed: $0.int("pairs"),
                                     pairsDecided: $0.int("decided")) }
    }
}
