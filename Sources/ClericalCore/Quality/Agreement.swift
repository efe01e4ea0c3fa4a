import Foundation

/// Agreement between two verdicts on the same pairs (first review and blind second review):
/// the confusion table, the agreement rate and Cohen's kappa with a 95% interval.
///
///     var agreement = Agreement()
///     agreement.add(first: .match, second: .nonMatch)
///     agreement.kappa   // chance-corrected agreement
public struct Agreement: Sendable, Equatable, Codable {
    public static let categories: [Verdict] = [.match, .nonMatch, .unsure]

    /// `table[i][j]`: pairs the first review put in category i and the second in j.
    public var table: [[Int]] = Array(repeating: Array(repeating: 0, count: 3), count: 3)

    public init() {}

    public mutating func add(first: Verdict, second: Verdict, count: Int = 1) {
        table[Self.index(first)][Self.index(second)] += count
    }

    static func index(_ verdict: Verdict) -> Int { categories.firstIndex(of: verdict)! }

    public var pairs: Int { table.joined().reduce(0, +) }

    /// Observed agreement: the share of pairs on the diagonal.
    public var observed: Double {
        guard pairs > 0 else { return .nan }
        return Double((0..<3).reduce(0) { $0 + table[$1][$1] }) / Double(pairs)
    }

    /// Agreement expected by chance from each review's own category shares.
    public var expectedByChance: Double {
        guard pairs > 0 else { return .nan }
        let n = Double(pairs)
        return (0..<3).reduce(0.0) { total, i in
            let row = Double(table[i].reduce(0, +)), column = Double((0..<3).reduce(0) { $0 + table[$1][i] })
            return total + row * column / (n * n)
        }
    }

    /// Cohen's kappa: (observed − chance) / (1 − chance). NaN with no pairs; 1 when both
    /// reviews put every pair in one and the same category.
    public var kappa: Double {
        let pe = expectedByChance
        guard pairs > 0 else { return .nan }
        guard pe < 1 else { return observed == 1 ? 1 : .nan }
        return (observed - pe) / (1 - pe)
    }

    /// The 95% interval of kappa, from Cohen's (1960) large-sample standard error
    /// √(p₀(1 − p₀) / (n (1 − pₑ)²)), clipped to [−1, 1].
    public var kappaInterval: (low: Double, high: Double) {
        let po = observed, pe = expectedByChance, n = Double(pairs)
        guard pairs > 0, pe < 1 else { return (.nan, .nan) }
        let standardError = (po * (1 - po) / (n * (1 - pe) * (1 - pe))).squareRoot()
        return (max(-1, kappa - 1.96 * standardError), min(1, kappa + 1.96 * standardError))
    }
}
