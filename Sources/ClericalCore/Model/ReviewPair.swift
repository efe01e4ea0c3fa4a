/// One side of a pair as the reviewer sees it.
public struct ReviewRecord: Sendable, Equatable {
    public var sourceDataset: String
    public var uniqueID: String
    /// Values in field order; nil is a missing value.
    public var values: [String?]

    public init(sourceDataset: String, uniqueID: String, values: [String?]) {
        self.sourceDataset = sourceDataset
        self.uniqueID = uniqueID
        self.values = values
    }
}

/// One comparison's part in a pair's score.
public struct ComparisonEvidence: Sendable, Equatable {
    public var name: String
    public var gamma: Int
    public var label: String
    public var kind: LevelKind
    /// This level's match weight under the current model (0 for a null level).
    public var weight: Double
    /// Indices into `ReviewPair.fields` of the record columns this comparison reads.
    public var fieldIndices: [Int]

    public init(name: String, gamma: Int, label: String, kind: LevelKind, weight: Double, fieldIndices: [Int]) {
        self.name = name
        self.gamma = gamma
        self.label = label
        self.kind = kind
        self.weight = weight
        self.fieldIndices = fieldIndices
    }
}

/// Everything the review screen shows of a pair.
public struct ReviewPair: Sendable, Equatable {
    public var id: Int64
    public var fields: [String]
    public var left: ReviewRecord
    public var right: ReviewRecord
    public var evidence: [ComparisonEvidence]
    /// log2(λ / (1 - λ)) of the current model: the weight before any comparison.
    public var priorWeight: Double
    public var score: PatternScore
    /// The reviewer's latest verdict and note, when the pair has been decided.
    public var verdict: Verdict?
    public var note: String?
    /// Which review this is: a second review is blind (no model evidence, no first verdict);
    /// an adjudication shows the verdicts it settles.
    public var kind: DecisionKind = .review
    /// For an adjudication: the first and second verdicts, with their reviewers and notes.
    public var disputedVerdicts: [DisputedVerdict] = []
    /// Drawn for an audit of the model's own decisions: shown blind (no model evidence) and
    /// unmarked, so the verdict says what the records say, not what the model said.
    public var isAudit = false
    /// The records' other candidates, their links and the pattern's history.
    public var context = PairContext()

    public init(id: Int64, fields: [String], left: ReviewRecord, right: ReviewRecord, evidence: [ComparisonEvidence],
                priorWeight: Double, score: PatternScore, verdict: Verdict? = nil, note: String? = nil) {
        self.id = id
        self.fields = fields
        self.left = left
        self.right = right
        self.evidence = evidence
        self.priorWeight = priorWeight
        self.score = score
        self.verdict = verdict
        self.note = note
    }

    /// Field indices that no comparison reads: shown below the compared rows.
    public var uncomparedFieldIndices: [Int] {
        let used = Set(evidence.flatMap(\.fieldIndices))
        return fields.indices.filter { !used.contains($0) }
    }
}

/// A verdict an adjudicator settles: who gave it, in which review, and their note.
public struct DisputedVerdict: Sendable, Equatable {
    public var reviewer: String
    public var kind: DecisionKind
    public var verdict: Verdict
    public var note: String?

    public init(reviewer: String, kind: DecisionKind, verdict: Verdict, note: String?) {
        self.reviewer = reviewer
        self.kind = kind
        self.verdict = verdict
        self.note = note
    }
}
