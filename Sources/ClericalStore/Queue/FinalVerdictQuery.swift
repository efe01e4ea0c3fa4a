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

    static func all(_ db: Database) throws -> [Labelled] {
        let latest = try RawStatement(db, sql: """
            SELECT d.pair_id, p.pattern_id, d.kind, d.verdict, d.reviewer FROM decision d JOIN pair p ON p.id = d.pair_id
            WHERE d.id IN (SELECT max(id) FROM decision GROUP BY pair_id, kind)
            ORDER BY d.pair_id
            """)
        var result: [Labelled] = []
        var current: (pairID: Int64, patternID: Int64, byKind: [DecisionKind: Verdict], reviewers: [DecisionKind: String])?
        func flush() {
            guard let current else { return }
            if let verdict = FinalVerdict.resolve(review: current.byKind[.review], secondReview: current.byKind[.secondReview],
                                                  adjudication: current.byKind[.adjudication]) {
                let kind: DecisionKind = current.byKind[.adjudication] != nil ? .adjudication
                    : (current.byKind[.review] != nil ? .review : .secondReview)
                result.append(Labelled(pairID: current.pairID, patternID: current.patternID, verdict: verdict,
                                       decidedBy: current.reviewers[kind] ?? "", kind: kind))
            }
        }
        try latest.each { row in
            let pairID = row.int64(0)
            if current?.pairID != pairID {
                flush()
                current = (pairID, row.int64(1), [:], [:])
            }
            if let kind = row.text(2).flatMap(DecisionKind.init(rawValue:)), let verdict = row.text(3).flatMap(Verdict.init(rawValue:)) {
                current?.byKind[kind] = verdict
                current?.reviewers[kind] = row.text(4)
            }
        }
        flush()
        return result
    }
}
