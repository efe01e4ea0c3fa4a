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
    /// The variance of stratum h with n of its N pairs drawn is planned as N²·(1 − n/N)·q(1 − q)/n,
    /// where q = (n·r + ½)/(n + 1): half an error added, so that a stratum where none is expected
    /// still needs a sample. (`LinkageQuality` bounds a stratum where none is seen by Wilson's
    /// limit, about 3.8 / n where half an error gives 1.4 / n: the same fall as 1/n², so the
    /// split among such strata is the same.) Where the
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
        // In name order, so ties (to the lower index) do not depend on dictionary order.
        let counts = addWhereVarianceFallsMost(
            start: names.map { allocation[$0]! }, sizes: names.map { sizes[$0]! },
            variance: { plannedVariance(size: sizes[names[$0]]!, errorRate: expectedErrorRates[names[$0]] ?? 0, drawn: $1) },
            while: { added, _ in added < left }).counts
        return Dictionary(uniqueKeysWithValues: zip(names, counts))
    }

    /// Adds one pair at a time to the stratum where it removes the most `variance(stratum,
    /// drawn)`, from `start`, never beyond `sizes`, for as long as `wanted(added, removed)` holds
    /// or some stratum has room; ties go to the lower index. The counts reached and the variance
    /// removed. For a variance convex in the count, each step's counts are the least-variance
    /// split of their total.
    static func addWhereVarianceFallsMost(start: [Int], sizes: [Int], variance: (Int, Int) -> Double,
                                          while wanted: (_ added: Int, _ removed: Double) -> Bool) -> (counts: [Int], removed: Double) {
        var counts = start, added = 0, removed = 0.0
        // What each stratum would shed with one more pair, kept current as pairs go.
        func gain(_ h: Int) -> Double { counts[h] < sizes[h] ? variance(h, counts[h]) - variance(h, counts[h] + 1) : -.infinity }
        var gains = counts.indices.map(gain)
        while wanted(added, removed) {
            guard let best = gains.indices.max(by: { gains[$0] != gains[$1] ? gains[$0] < gains[$1] : $0 > $1 }),
                  gains[best] > -.infinity else { break }
            counts[best] += 1
            added += 1
            removed += gains[best]
            gains[best] = gain(best)
        }
        return (counts, removed)
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
