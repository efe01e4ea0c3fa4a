/// The review order: lower priority is reviewed sooner.
///
/// The pair the model is least sure of (probability nearest 0.5) comes first, spread across
/// patterns: every pair of a pattern looks the same to the model, so once k pairs of a
/// pattern have been served, its next pair counts as if its probability were
/// `spread · ⌊log2(1 + k)⌋` further from 0.5 (0.05 more for each doubling). A large pattern
/// does not hold the queue. Whole doublings keep the rule computable in plain SQL, where the
/// queue's trigger applies it (migration v3).
///
///     ReviewPriority.of(probability: 0.5, rankInPattern: 0)  // 0
///     ReviewPriority.of(probability: 0.5, rankInPattern: 1)  // 0.05
///     ReviewPriority.of(probability: 0.5, rankInPattern: 3)  // 0.10
public enum ReviewPriority {
    public static let spread = 0.05

    /// A pattern queued because the kept model decides it the other way from the imported
    /// one (`PatternBand.rescore`) has its first pair ordered by the two models' mean
    /// probability: a full overturn (0.99 against 0.01) comes as soon as a pair at 0.5. Once
    /// one of its pairs has been served it goes by its own score.
    public static func of(probability: Double, overturning importedProbability: Double, rankInPattern: Int) -> Double {
        of(probability: (probability + importedProbability) / 2, rankInPattern: rankInPattern)
    }

    public static func of(probability: Double, rankInPattern: Int) -> Double {
        let doublings = Int.bitWidth - (rankInPattern + 1).leadingZeroBitCount - 1  // ⌊log2(1 + k)⌋
        return abs(probability - 0.5) + spread * Double(min(doublings, 20))
    }
}
