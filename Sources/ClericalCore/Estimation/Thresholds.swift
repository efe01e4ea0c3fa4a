/// Thresholds of match probability that keep the model's expected error rates under targets.
///
/// Pairs at or above `high` are taken as matches, pairs below `low` as non-matches, and the
/// pairs between go to people. Rates are estimated from the model's own probabilities:
/// - false-match rate: of the pairs taken as matches, the expected share that are not;
/// - missed-match rate: of all expected matches, the share that fall below `low`.
public struct ThresholdSuggestion: Sendable, Equatable, Codable {
    public var low: Double
    public var high: Double
    public var targetFalseMatchRate: Double
    public var targetMissedMatchRate: Double
    public var expectedFalseMatchRate: Double
    public var expectedMissedMatchRate: Double
    /// Pairs whose probability lies in [low, high): the review band these thresholds imply.
    public var pairsInBand: Int

    /// - Parameter scored: (match probability, number of pairs), one entry per pattern.
    public static func suggest(scored: [(probability: Double, count: Int)],
                               targetFalseMatchRate: Double, targetMissedMatchRate: Double) -> ThresholdSuggestion {
        let descending = scored.filter { $0.count > 0 }.sorted { $0.probability > $1.probability }

        // Take patterns as matches, most certain first, while the expected false share holds.
        var high = 1.0, accepted = 0.0, falseMatches = 0.0
        for entry in descending {
            let count = Double(entry.count)
            let share = (falseMatches + count * (1 - entry.probability)) / (accepted + count)
            guard share <= targetFalseMatchRate else { break }
            accepted += count
            falseMatches += count * (1 - entry.probability)
            high = entry.probability
        }

        // Reject patterns, least likely first, while the expected missed share holds.
        let expectedMatches = descending.reduce(0.0) { $0 + Double($1.count) * $1.probability }
        var low = 0.0, missed = 0.0
        for entry in descending.reversed() where entry.probability < high {
            let more = missed + Double(entry.count) * entry.probability
            guard expectedMatches > 0, more / expectedMatches <= targetMissedMatchRate else {
                low = entry.probability
                break
            }
            missed = more
            low = entry.probability.nextUp
        }
        low = min(low, high)
        let inBand = descending.filter { $0.probability >= low && $0.probability < high }.reduce(0) { $0 + $1.count }
        return ThresholdSuggestion(
            low: low, high: high, targetFalseMatchRate: targetFalseMatchRate, targetMissedMatchRate: targetMissedMatchRate,
            expectedFalseMatchRate: accepted > 0 ? falseMatches / accepted : 0,
            expectedMissedMatchRate: expectedMatches > 0 ? missed / expectedMatches : 0,
            pairsInBand: inBand)
    }
}
