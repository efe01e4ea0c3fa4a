import Foundation

/// The review order: lower priority is reviewed sooner.
///
/// The pair the model is least sure of (probability nearest 0.5) comes first, spread across
/// patterns: every pair of a pattern looks the same to the model, so the k-th pair of one
/// pattern counts as if its probability were `spread · log2(1 + k)` further from 0.5. The
/// first pair of each uncertain pattern comes before the second of any, and a large pattern
/// does not hold the queue.
///
///     ReviewPriority.of(probability: 0.5, rankInPattern: 0)  // 0
///     ReviewPriority.of(probability: 0.5, rankInPattern: 1)  // 0.05
public enum ReviewPriority {
    public static let spread = 0.05

    public static func of(probability: Double, rankInPattern: Int) -> Double {
        abs(probability - 0.5) + spread * log2(1 + Double(rankInPattern))
    }
}
