/// What a reviewer says about a pair. `skip` is not a verdict: it hands the pair back.
public enum Verdict: String, Sendable, CaseIterable, Codable {
    case match
    case nonMatch = "non-match"
    case unsure
}

/// Where a pair stands in the queue (`pair.state`).
public enum PairState: String, Sendable, CaseIterable, Codable {
    /// No longer written (migration v3 made such pairs `pending`): kept so that the old value
    /// still reads. Whether an open pair waits for review or is decided by the model is its
    /// pattern's `in_band`, not a pair state.
    case auto
    /// Open: waiting for review when its pattern is in the band, decided by the model when not.
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
