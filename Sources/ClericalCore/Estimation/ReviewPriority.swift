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
    /// one (`PatternBand.rescore`) has its first pair ordered as a pattern believed at the two
    /// models' mean with no verdict: until a verdict reaches it neither model is known to be
    /// right. A full overturn (0.99 against 0.01) of one pair comes as soon as a pair at 0.5, of
    /// many pairs sooner. Once one of its pairs has been served it goes by its own score.
    public static func of(probability: Double, overturning importedProbability: Double, openPairs: Int) -> Double {
        of(probability: (probability + importedProbability) / 2, verdicts: 0, openPairs: openPairs, rankInPattern: 0)
    }

    /// At each re-estimation a pattern may come sooner for what its undecided pairs stand to
    /// gain from more verdicts: the pairs the model decides (`openPairs`) times the share of them
    /// it would get wrong beyond the best decision, expected under a Beta belief about the
    /// pattern's match rate with mean `probability` and the weight of one pair for the model
    /// plus one for each verdict (`ExpectedExcess`), placed where a single unreviewed pair with
    /// that gain would be. A single unreviewed pair keeps its place (|p − 0.5|); twenty-one pairs
    /// no verdict has reached at 0.9 come before a single pair at 0.5, as do 112 pairs that
    /// seven verdicts put at 0.3; verdicts that agree settle a pattern whatever its size (9,000
    /// pairs at 0.98 after twenty come after a single pair at 0.999). Never later than the plain order.
    /// Between re-estimations the queue's trigger orders a served pattern by the plain rule, so
    /// a pattern gets at most one pair sooner per re-estimation.
    public static func of(probability: Double, verdicts: Int, openPairs: Int, rankInPattern: Int) -> Double {
        let plain = of(probability: probability, rankInPattern: rankInPattern)
        guard openPairs > 1 || verdicts > 0, openPairs > 0 else { return plain }
        let gain = Double(openPairs) * ExpectedExcess.share(probability: probability, weight: 1 + Double(verdicts))
        return min(plain, ExpectedExcess.singlePairDistance(equivalentTo: gain))
    }

    public static func of(probability: Double, rankInPattern: Int) -> Double {
        let doublings = Int.bitWidth - (rankInPattern + 1).leadingZeroBitCount - 1  // ⌊log2(1 + k)⌋
        return abs(probability - 0.5) + spread * Double(min(doublings, 20))
    }
}
