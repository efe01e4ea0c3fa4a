import ClericalCore
import Foundation
import GRDB
import GRDBSQLite

/// Loading a pair with its records, its comparison evidence and, for an adjudicator, the
/// verdicts in dispute. Its context (`+Context`) is read after the write that claimed it.
extension ReviewQueue {
    func loadPair(_ db: Database, _ id: Int64, kind: DecisionKind = .review, withVerdict: Bool = true) throws -> ReviewPair {
        try refreshLookups(db)
        let query = try statement(db, """
            SELECT t.gammas, t.match_weight, l.source_dataset, l.unique_id, l.field_values,
                   r.source_dataset, r.unique_id, r.field_values
            FROM pair p JOIN pattern t ON t.id = p.pattern_id
            JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
            WHERE p.id = ?
            """)
        query.bind(1, id)
        guard let row = try query.first({ row in
            (gammas: row.text(0) ?? "", weight: row.double(1),
             left: ReviewRecord(sourceDataset: row.text(2) ?? "", uniqueID: row.text(3) ?? "",
                              values: Self.values(row.text(4) ?? "[]", count: fieldNames.count)),
             right: ReviewRecord(sourceDataset: row.text(5) ?? "", uniqueID: row.text(6) ?? "",
                               values: Self.values(row.text(7) ?? "[]", count: fieldNames.count)))
        }) else {
            throw ClericalError(.dataError, "pair \(id) is not in the queue")
        }
        let gammas = PatternKey.gammas(row.gammas)
        var evidence: [ComparisonEvidence] = []
        evidence.reserveCapacity(model.comparisons.count)
        for (k, comparison) in model.comparisons.enumerated() where k < gammas.count {
            let gamma = gammas[k]
            let level = levelsByComparison[k][gamma]
            evidence.append(ComparisonEvidence(
                name: comparison.name, gamma: gamma, label: level?.label ?? "γ = \(gamma)",
                kind: level?.kind ?? .missing, weight: level?.weight ?? 0, fieldIndices: fieldIndicesByComparison[k]))
        }
        let latestQuery = try statement(db, """
            SELECT verdict, note FROM decision WHERE pair_id = ? AND reviewer = ? AND kind = 'review' ORDER BY id DESC LIMIT 1
            """)
        latestQuery.bind(1, id)
        latestQuery.bind(2, reviewer)
        let latest = !withVerdict || kind != .review ? nil : try latestQuery.first { (verdict: $0.text(0).flatMap(Verdict.init(rawValue:)), note: $0.text(1)) }
        var pair = ReviewPair(
            id: id, fields: fieldNames, left: row.left, right: row.right,
            evidence: evidence, priorWeight: model.priorWeight, score: PatternScore(matchWeight: row.weight),
            verdict: kind == .review ? latest?.verdict : nil, note: kind == .review ? latest?.note : nil)
        pair.kind = kind
        if claimLookups.auditsExist, kind == .review {
            let audited = try statement(db, "SELECT EXISTS (SELECT 1 FROM audit_pair WHERE pair_id = ?)")
            audited.bind(1, id)
            pair.isAudit = try audited.first { $0.int64(0) == 1 } ?? false
        }
        if kind == .adjudication {
            // What the adjudicator settles: the latest verdict of each earlier review.
            pair.disputedVerdicts = try Row.fetchAll(db, sql: """
                SELECT reviewer, kind, verdict, note FROM decision
                WHERE id IN (SELECT max(id) FROM decision WHERE pair_id = ? AND kind IN ('review', 'second-review') GROUP BY kind)
                  AND verdict IS NOT NULL
                ORDER BY id
                """, arguments: [id]).compactMap { row in
                guard let kind = DecisionKind(rawValue: row["kind"]), let verdict = Verdict(rawValue: row["verdict"]) else { return nil }
                return DisputedVerdict(reviewer: row["reviewer"], kind: kind, verdict: verdict, note: row["note"])
            }
        }
        return pair
    }
}
