/// The pairs of one comparison vector, as estimation sees them: how many carry a match
/// verdict, a non-match verdict, or neither (undecided, or judged unsure).
///
/// Every pair of a pattern is the same to the Fellegi–Sunter model, so a queue of millions
/// of pairs is a few thousand tallies.
public struct PatternTally: Sendable, Equatable {
    public var gammas: [Int]
    public var unlabelled: Int
    public var matches: Int
    public var nonMatches: Int

    public init(gammas: [Int], unlabelled: Int, matches: Int = 0, nonMatches: Int = 0) {
        self.gammas = gammas
        self.unlabelled = unlabelled
        self.matches = matches
        self.nonMatches = nonMatches
    }

    public var total: Int { unlabelled + matches + nonMatches }
}

/// The verdict that counts for a pair, from the latest verdict of each kind of review.
///
/// Adjudication is final. Otherwise a second review that agrees with the first confirms it;
/// one that disagrees leaves the pair disputed, with no verdict until it is adjudicated.
public enum FinalVerdict {
    public static func resolve(review: Verdict?, secondReview: Verdict?, adjudication: Verdict?) -> Verdict? {
        if let adjudication { return adjudication }
        guard let secondReview else { return review }
        guard let review else { return secondReview }
        return review == secondReview ? review : nil
    }
}
