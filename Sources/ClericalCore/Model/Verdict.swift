/// What a reviewer says about a pair. `skip` is not a verdict: it hands the pair back.
public enum Verdict: String, Sendable, CaseIterable, Codable {
    case match
    case nonMatch = "non-match"
    case unsure
}

/// Where a pair stands in the queue (`pair.state`).
public enum PairState: String, Sendable, CaseIterable, Codable {
    /// Outside the review band: decided by the model, not queued.
    case auto
    case pending
    case claimed
    case decided
    case disputed
}

/// Which review a decision belongs to; a later kind overrides an earlier one.
public enum DecisionKind: String, Sendable, CaseIterable, Codable {
    case review
    case secondReview = "second-review"
    case adjudication
}

public enum ReviewerRole: String, Sendable, CaseIterable, Codable {
    case reviewer
    case supervisor
    case qualityLead = "quality-lead"
}
