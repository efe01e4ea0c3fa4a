import Foundation

/// The most errors the audit strata where no error was seen can hold between them: one exact
/// bound for all of them, at 97.5% (the side of more errors of a two-sided 95% interval).
///
/// Drawing n of a stratum's N pairs without replacement misses all of its K errors with
/// probability at most (1 − n/N)^K. Seeing none in every such stratum is then no likelier than
/// 2.5% once Σ K·c > log 40, where c = −log(1 − n/N) is what each error costs of that budget.
/// The bound spends the budget where an error weighs most for what it costs, each stratum up to
/// the pairs it stands for. For one stratum it is Clopper–Pearson's limit for none in n, about
/// 3.7·N/n. For several it is the limit of their union: strata drawn in proportion are bounded
/// as one sample of all their pairs, where a limit per stratum, added up or in quadrature, grows
/// with the number of strata the audit happens to cut the pairs into.
///
///     NoErrorSeenBound.errors([.init(covered: 9_900, frame: 10_000, drawn: 100, weight: 1)])
///     // 367: none seen in 100 of 10,000 pairs
///     NoErrorSeenBound.errors((0..<4).map { _ in .init(covered: 9_900, frame: 10_000, drawn: 100, weight: 1) })
///     // 367 again: the same rate of none in 400 of 40,000 (in quadrature, four limits would give 734)
public enum NoErrorSeenBound {
    public struct Stratum: Sendable, Equatable {
        /// Unreviewed pairs the stratum stands for now: the most errors it can still hold.
        public var covered: Double
        /// Pairs the stratum held when its sample was drawn, and how many were drawn.
        public var frame: Double
        public var drawn: Double
        /// What one error there moves the figure being bounded (F1, precision, a count).
        public var weight: Double

        public init(covered: Double, frame: Double, drawn: Double, weight: Double) {
            self.covered = covered
            self.frame = frame
            self.drawn = drawn
            self.weight = weight
        }
    }

    /// The chance, at most, of seeing no error where the bound's errors are.
    static let missed = 0.025

    /// The largest Σ weight·errors the strata can hold with no error seen in any sample.
    public static func errors(_ strata: [Stratum]) -> Double {
        var budget = -log(missed)
        var bound = 0.0
        let costed = strata.compactMap { stratum -> (stratum: Stratum, cost: Double)? in
            let fraction = stratum.drawn / max(stratum.frame, stratum.drawn)
            // Drawn whole, the stratum holds no unseen error.
            guard stratum.weight > 0, stratum.covered > 0, fraction > 0, fraction < 1 else { return nil }
            return (stratum, -log1p(-fraction))
        }
        for (stratum, cost) in costed.sorted(by: { $0.stratum.weight / $0.cost > $1.stratum.weight / $1.cost }) {
            let errors = min(stratum.covered, budget / cost)
            bound += stratum.weight * errors
            budget -= errors * cost
            if budget <= 0 { break }
        }
        return bound
    }
}
