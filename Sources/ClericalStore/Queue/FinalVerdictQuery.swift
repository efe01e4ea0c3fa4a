import ClericalCore
import GRDB

/// The verdict that counts for each decided pair: what estimation clamps and what the labels
/// export writes. The latest decision of each kind counts (a correction replaces, a withdrawal
/// clears), then `FinalVerdict.resolve` ranks the kinds.
enum FinalVerdictQuery {
    struct Labelled {
        var pairID: Int64
        var patternID: Int64
        var verdict: Verdict
        /// Who settled it, and in which kind of review: the adjudicator, or else the first
        /// reviewer (confirmed by an agreeing second review, or alone), or the second alone.
        var decidedBy: String
        var kind: DecisionKind
    }

    /// The latest decision of each kind for each pair, in pair order.
    static let latestSQL = """
        SELECT d.pair_id, p.pattern_id, d.kind, d.verdict, d.reviewer FROM decision d JOIN pair p ON p.id = d.pair_id
        WHERE d.id IN (SELECT max(id) FROM decision GROUP BY pair_id, kind)
        ORDER BY d.pair_id, d.kind
        """

    /// On a queue file, through a raw statement (re-estimation reads every verdict).
    static func all(_ db: Database) throws -> [Labelled] {
        var folding = Folding()
        try RawStatement(db, sql: latestSQL).each { row in
            folding.add(pairID: row.int64(0), patternID: row.int64(1), kind: row.text(2), verdict: row.text(3), reviewer: row.text(4))
        }
        return folding.finish()
    }

    /// On either backend.
    static func all(_ db: some QueueReading) throws -> [Labelled] {
        var folding = Folding()
        for row in try db.queueRows(latestSQL) {
            folding.add(pairID: row.int64("pair_id"), patternID: row.int64("pattern_id"), kind: row.optionalText("kind"),
                        verdict: row.optionalText("verdict"), reviewer: row.optionalText("reviewer"))
        }
        return folding.finish()
    }

    /// Each pair's rows in, its final verdict out (`FinalVerdict.resolve` ranks the kinds).
    private struct Folding {
        var result: [Labelled] = []
        var current: (pairID: Int64, patternID: Int64, byKind: [DecisionKind: Verdict], reviewers: [DecisionKind: String])?

        mutating func add(pairID: Int64, patternID: Int64, kind: String?, verdict: String?, reviewer: String?) {
            if current?.pairID != pairID {
                flush()
                current = (pairID, patternID, [:], [:])
            }
            if let kind = kind.flatMap(DecisionKind.init(rawValue:)), let verdict = verdict.flatMap(Verdict.init(rawValue:)) {
                current?.byKind[kind] = verdict
                current?.reviewers[kind] = reviewer
            }
        }

        mutating func flush() {
            guard let current else { return }
            if let verdict = FinalVerdict.resolve(review: current.byKind[.review], secondReview: current.byKind[.secondReview],
                                                  adjudication: current.byKind[.adjudication]) {
                let kind: DecisionKind = current.byKind[.adjudication] != nil ? .adjudication
                    : (current.byKind[.review] != nil ? .review : .secondReview)
                result.append(Labelled(pairID: current.pairID, patternID: current.patternID, verdict: verdict,
                                       decidedBy: current.reviewers[kind] ?? "", kind: kind))
            }
            self.current = nil
        }

        mutating func finish() -> [Labelled] {
            flush()
            return result
        }
    }
}
