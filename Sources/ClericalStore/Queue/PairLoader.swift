import ClericalCore

/// What showing a pair needs from the model and the fields, built once per model version: per
/// comparison, the fields it reads, and per gamma the level's label, kind and weight, so loading
/// a pair is a few lookups.
package struct PairEvidence {
    package let fieldNames: [String]
    package let model: FellegiSunterModel
    private let fieldIndicesByComparison: [[Int]]
    private let levelsByComparison: [[Int: (label: String, kind: LevelKind, weight: Double)]]

    package init(fieldNames: [String], model: FellegiSunterModel) {
        self.fieldNames = fieldNames
        self.model = model
        fieldIndicesByComparison = model.comparisons.map { comparison in
            fieldNames.indices.filter { comparison.uses(field: fieldNames[$0]) }
        }
        levelsByComparison = model.comparisons.enumerated().map { k, comparison in
            Dictionary(uniqueKeysWithValues: comparison.levels.map { level in
                (level.gamma, (level.label, comparison.kind(gamma: level.gamma),
                               model.parameters(comparison: k, gamma: level.gamma)?.weight ?? 0))
            })
        }
    }

    /// The same fields under a newer model version.
    package func with(_ model: FellegiSunterModel) -> PairEvidence { PairEvidence(fieldNames: fieldNames, model: model) }

    /// How each comparison of a pattern reads.
    func evidence(_ gammas: [Int]) -> [ComparisonEvidence] {
        var evidence: [ComparisonEvidence] = []
        evidence.reserveCapacity(model.comparisons.count)
        for (k, comparison) in model.comparisons.enumerated() where k < gammas.count {
            let gamma = gammas[k]
            let level = levelsByComparison[k][gamma]
            evidence.append(ComparisonEvidence(
                name: comparison.name, gamma: gamma, label: level?.label ?? "γ = \(gamma)",
                kind: level?.kind ?? .missing, weight: level?.weight ?? 0, fieldIndices: fieldIndicesByComparison[k]))
        }
        return evidence
    }
}

/// Loading a pair with its records, its comparison evidence, the reviewer's latest verdict on
/// it and, for an adjudicator, the verdicts in dispute; and what surrounds it (`ContextLoader`).
/// One text for both backends: the queue file reads through its prepared statements, a server
/// through `ReadingStatement`.
package struct PairLoader<Statement: QueryStatement> {
    let prepare: (String) throws -> Statement
    let evidence: PairEvidence
    let reviewer: String

    package init(prepare: @escaping (String) throws -> Statement, evidence: PairEvidence, reviewer: String) {
        self.prepare = prepare
        self.evidence = evidence
        self.reviewer = reviewer
    }

    /// The pair; `withContext`, what surrounds it too, its place read in the same statement.
    package func load(_ id: Int64, kind: DecisionKind = .review, withVerdict: Bool = true, withContext: Bool = false) throws -> ReviewPair {
        try load(id, kind: kind, withVerdict: withVerdict, withContext: withContext, counting: false).pair
    }

    /// The pair as `load` reads it, and with `counting` the queue's counts and its newest model
    /// version read in the same statement: what the screen shows after a verdict, in one
    /// statement on a server (its context too, `ContextStatement.statement(readingPair:columns:)`),
    /// and whether a re-estimation has made a model newer than the one the pair was shown with.
    package func load(_ id: Int64, kind: DecisionKind, withVerdict: Bool, withContext: Bool, counting: Bool) throws
        -> (pair: ReviewPair, counts: QueueCounts?, newestModel: Int64?) {
        let fieldCount = evidence.fieldNames.count
        var columns = """
            t.gammas, t.match_weight, l.source_dataset, l.unique_id, l.field_values,
                   r.source_dataset, r.unique_id, r.field_values, EXISTS (SELECT 1 FROM audit_pair a WHERE a.pair_id = p.id)
            """
        let placeFrom: Int32 = 9
        // The place only where the context is read here (a file's verdict reads it elsewhere).
        if withContext { columns += ",\n" + PairPlace.columns }
        let countsFrom = placeFrom + (withContext ? PairPlace.columnCount : 0)
        if counting { columns += ",\n" + QueueCounts.columns + ",\n(SELECT max(id) FROM model_version)" }
        let countedColumns = counting ? QueueCounts.columnCount + 1 : 0
        let from = """
            FROM pair p JOIN pattern t ON t.id = p.pattern_id
            JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
            \(withContext ? PairPlace.placeJoin : "")
            WHERE p.id = ?
            """
        func read(_ row: some QueryRow, from first: Int32) -> Loaded {
            Loaded(gammas: row.text(first) ?? "", weight: row.double(first + 1),
                   left: ReviewRecord(sourceDataset: row.text(first + 2) ?? "", uniqueID: row.text(first + 3) ?? "",
                                      values: ReviewQueue.values(row.text(first + 4) ?? "[]", count: fieldCount)),
                   right: ReviewRecord(sourceDataset: row.text(first + 5) ?? "", uniqueID: row.text(first + 6) ?? "",
                                       values: ReviewQueue.values(row.text(first + 7) ?? "[]", count: fieldCount)),
                   audited: row.int64(first + 8) == 1, place: withContext ? PairPlace(row, from: first + placeFrom) : nil,
                   counts: counting ? QueueCounts(row, from: first + countsFrom) : nil,
                   newestModel: counting ? row.int64(first + countsFrom + QueueCounts.columnCount) : nil)
        }
        var loaded: Loaded?
        var candidates: ContextStatement.Candidates?
        if withContext {
            // The pair's id first, then the columns above: the pair's row is read from column 2.
            let total = 1 + countsFrom + countedColumns
            let query = try prepare(ContextStatement.statement(
                readingPair: "SELECT p.id AS \(ContextStatement.pairIDColumn), \(columns)\n\(from)", columns: total))
            query.bind(1, id)
            ContextStatement.bindShown(query, at: 2, own: nil)
            let candidateColumn = ContextStatement.candidateColumn(after: total)
            try query.each { row in
                if row.int64(0) == 0 {
                    let pair = read(row, from: 2)
                    loaded = pair
                    candidates = pair.place.map(ContextStatement.Candidates.init(place:))
                } else {
                    candidates?.read(row, from: candidateColumn, fieldCount: fieldCount, own: nil)
                }
            }
        } else {
            let query = try prepare("SELECT \(columns)\n\(from)")
            query.bind(1, id)
            loaded = try query.first { read($0, from: 0) }
        }
        guard let row = loaded else {
            throw ClericalError(.dataError, "pair \(id) is not in the queue")
        }
        let latestQuery = try prepare("""
            SELECT verdict, note FROM decision WHERE pair_id = ? AND reviewer = ? AND kind = 'review' ORDER BY id DESC LIMIT 1
            """)
        latestQuery.bind(1, id)
        latestQuery.bind(2, reviewer)
        let latest = !withVerdict || kind != .review ? nil : try latestQuery.first { (verdict: $0.text(0).flatMap(Verdict.init(rawValue:)), note: $0.text(1)) }
        var pair = ReviewPair(
            id: id, fields: evidence.fieldNames, left: row.left, right: row.right,
            evidence: evidence.evidence(PatternKey.gammas(row.gammas)), priorWeight: evidence.model.priorWeight,
            score: PatternScore(matchWeight: row.weight),
            verdict: kind == .review ? latest?.verdict : nil, note: kind == .review ? latest?.note : nil)
        pair.kind = kind
        // An audit pair is marked for the reviewer's own count only.
        if kind == .review { pair.isAudit = row.audited }
        if kind == .adjudication {
            // What the adjudicator settles: the latest verdict of each earlier review.
            let disputed = try prepare("""
                SELECT reviewer, kind, verdict, note FROM decision
                WHERE id IN (SELECT max(id) FROM decision WHERE pair_id = ? AND kind IN ('review', 'second-review') GROUP BY kind)
                  AND verdict IS NOT NULL
                ORDER BY id
                """)
            disputed.bind(1, id)
            var verdicts: [DisputedVerdict] = []
            try disputed.each { row in
                guard let kind = row.text(1).flatMap(DecisionKind.init(rawValue:)), let verdict = row.text(2).flatMap(Verdict.init(rawValue:))
                else { return }
                verdicts.append(DisputedVerdict(reviewer: row.text(0) ?? "", kind: kind, verdict: verdict, note: row.text(3)))
            }
            pair.disputedVerdicts = verdicts
        }
        if let place = row.place, let candidates {
            pair.context = try ContextLoader(prepare: prepare, fieldCount: fieldCount).context(at: place, candidates)
        }
        return (pair, row.counts, row.newestModel)
    }

    /// A pair's row as `load` reads it.
    private struct Loaded {
        var gammas: String
        var weight: Double
        var left: ReviewRecord, right: ReviewRecord
        var audited: Bool
        var place: PairPlace?
        var counts: QueueCounts?
        var newestModel: Int64?
    }

    /// This reviewer's standing verdicts (withdrawn ones left out), newest first.
    package func recentVerdicts(limit: Int) throws -> [OwnVerdict] {
        let query = try prepare("""
            SELECT d.pair_id, d.verdict, d.note, d.decided_at FROM decision d
            WHERE d.reviewer = ? AND d.kind = 'review'
              AND d.id = (SELECT max(id) FROM decision WHERE pair_id = d.pair_id AND reviewer = d.reviewer AND kind = 'review')
              AND d.verdict IS NOT NULL
            ORDER BY d.id DESC LIMIT ?
            """)
        query.bind(1, reviewer)
        query.bind(2, Int64(limit))
        var verdicts: [OwnVerdict] = []
        try query.each { row in
            guard let verdict = row.text(1).flatMap(Verdict.init(rawValue:)) else { return }
            verdicts.append(OwnVerdict(pairID: row.int64(0), verdict: verdict, note: row.text(2), decidedAt: row.text(3) ?? ""))
        }
        return verdicts
    }
}
