/// Splits a sample across strata in proportion to their sizes, exactly: each stratum gets the
/// whole part of its share, and the strata with the largest remainders get one more each
/// (ties by name, so the result does not depend on dictionary order). With a `minimum`, every
/// stratum first gets that many (or all it holds) when the total allows, so a small stratum is
/// never left without a sample, and the rest is split in proportion.
///
///     StratifiedAllocation.proportional(sizes: ["a": 50, "b": 30, "c": 20], total: 10)
///     // ["a": 5, "b": 3, "c": 2]
public enum StratifiedAllocation {
    public static func proportional(sizes: [String: Int], total: Int, minimum: Int) -> [String: Int] {
        let floor = sizes.mapValues { min($0, minimum) }
        let floorTotal = floor.values.reduce(0, +)
        guard minimum > 0, floorTotal <= total else { return proportional(sizes: sizes, total: total) }
        let rest = proportional(sizes: sizes.merging(floor, uniquingKeysWith: -), total: total - floorTotal)
        return floor.merging(rest, uniquingKeysWith: +)
    }

    public static func proportional(sizes: [String: Int], total: Int) -> [String: Int] {
        let population = sizes.values.reduce(0, +)
        guard population > 0, total > 0 else { return sizes.mapValues { _ in 0 } }
        let wanted = min(total, population)
        var allocation: [String: Int] = [:]
        var remainders: [(name: String, remainder: Double)] = []
        for (name, size) in sizes {
            let share = Double(size) * Double(wanted) / Double(population)
            allocation[name] = min(size, Int(share.rounded(.down)))
            remainders.append((name, share - share.rounded(.down)))
        }
        var left = wanted - allocation.values.reduce(0, +)
        for entry in remainders.sorted(by: { ($0.remainder, $1.name) > ($1.remainder, $0.name) }) where left > 0 {
            if allocation[entry.name]! < sizes[entry.name]! {
                allocation[entry.name]! += 1
                left -= 1
            }
        }
        return allocation
    }
}

extension StratifiedAllocation {
    /// Splits a sample across strata so that the variance of the estimated error count is least
    /// (Neyman's allocation, with the quality estimator's floor), planning each stratum's error
    /// rate from `expectedErrorRates` (the model's own, for an audit).
    ///
    /// The variance of stratum h with n of its N pairs drawn is N²·(1 − n/N)·q(1 − q)/n, where
    /// q = (n·r + ½)/(n + 1) is the error rate the estimator works with: it adds half an error,
    /// so that a stratum where none is seen still has an interval (`LinkageQuality`). Where the
    /// model expects no errors the floor rules, and the sample goes as N^⅔ rather than N: a
    /// stratum of 300,000 pairs the model is sure of gets fewer than in proportion, and the
    /// strata near the review band more. The variance is convex in n, so taking one pair at a
    /// time where it removes the most variance is optimal. Every stratum first gets `minimum`
    /// (or all it holds) when the total allows; the counts sum to the total exactly.
    ///
    ///     StratifiedAllocation.minimumVariance(sizes: ["sure": 300_000, "near band": 3_000],
    ///                                          expectedErrorRates: ["sure": 0, "near band": 0.1],
    ///                                          total: 400, minimum: 2)
    ///     // ["near band": 25, "sure": 375] (in proportion: 4 and 396)
    public static func minimumVariance(sizes: [String: Int], expectedErrorRates: [String: Double], total: Int, minimum: Int) -> [String: Int] {
        let population = sizes.values.reduce(0, +)
        let wanted = min(max(total, 0), population)
        let names = sizes.keys.sorted()
        var allocation = Dictionary(uniqueKeysWithValues: names.map { ($0, 0) })
        guard wanted > 0 else { return allocation }
        var left = wanted
        if minimum > 0, names.reduce(0, { $0 + min(sizes[$1]!, minimum) }) <= wanted {
            for name in names {
                allocation[name] = min(sizes[name]!, minimum)
                left -= allocation[name]!
            }
        }
        func variance(_ name: String, _ n: Int) -> Double {
            plannedVariance(size: sizes[name]!, errorRate: expectedErrorRates[name] ?? 0, drawn: n)
        }
        // The variance each stratum would shed with one more pair, kept current as pairs go.
        var gain = Dictionary(uniqueKeysWithValues: names.map { name in
            (name, allocation[name]! < sizes[name]! ? variance(name, allocation[name]!) - variance(name, allocation[name]! + 1) : -.infinity)
        })
        while left > 0 {
            // Largest gain first; ties by name, so the result does not depend on dictionary order.
            guard let best = names.max(by: { (gain[$0]!, $1) < (gain[$1]!, $0) }), gain[best]! > -.infinity else { break }
            allocation[best]! += 1
            left -= 1
            let n = allocation[best]!
            gain[best] = n < sizes[best]! ? variance(best, n) - variance(best, n + 1) : -.infinity
        }
        return allocation
    }

    /// The variance of a stratum's estimated error count with `drawn` of its `size` pairs in the
    /// sample, at the error rate the estimator works with (`minimumVariance`).
    static func plannedVariance(size: Int, errorRate: Double, drawn n: Int) -> Double {
        guard n > 0 else { return .infinity }
        let size = Double(size), rate = min(max(errorRate, 0), 0.5)
        let q = (Double(n) * rate + 0.5) / Double(n + 1)
        return size * size * max(0, 1 - Double(n) / size) * q * (1 - q) / Double(n)
    }
}
