import Foundation

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
    /// Splits a sample across strata so that the quality estimate's interval on the error count
    /// is narrowest (Neyman's allocation, with the estimator's rules), planning each stratum's
    /// error rate from `expectedErrorRates` (the model's own, for an audit).
    ///
    /// A stratum whose sample will likelier than not show an error is planned as the estimator
    /// treats it: a variance of N²·(1 − n/N)·q(1 − q)/n with n of its N pairs drawn, where
    /// q = (n·r + ½)/(n + 1) (half an error added, so that it still needs a sample). The strata
    /// whose samples will likelier than not show none are bounded together by the estimator
    /// (`NoErrorSeenBound`), most tightly when their N/n are alike: they are planned as one pool,
    /// its bound a variance of (bound / z)², and the pool's share split among them in proportion.
    /// Which strata are quiet is first taken from the split with every stratum planned alone,
    /// then from each new split until it settles. Given that, each variance is convex in n, so
    /// taking one pair at a time where it removes the most is optimal. Every stratum first gets
    /// `minimum` (or all it holds) when the total allows; the counts sum to the total exactly.
    ///
    /// A top-up of an earlier sample (`drawnBefore`: pairs an earlier audit drew from the same
    /// pairs, which the estimator reads as one sample with the new draw) plans the two together:
    /// each stratum is its `sizes` plus what was drawn before, starts from that, needs no minimum
    /// it already has, and gets only what is added to it.
    ///
    ///     StratifiedAllocation.minimumVariance(sizes: ["sure": 300_000, "near band": 3_000],
    ///                                          expectedErrorRates: ["sure": 0, "near band": 0.1],
    ///                                          total: 400, minimum: 2)
    ///     // ["near band": 11, "sure": 389] (in proportion: 4 and 396)
    public static func minimumVariance(sizes eligible: [String: Int], expectedErrorRates: [String: Double], total: Int, minimum: Int,
                                       drawnBefore: [String: Int] = [:]) -> [String: Int] {
        let before = eligible.mapValues { _ in 0 }.merging(drawnBefore.filter { eligible[$0.key] != nil }, uniquingKeysWith: { $1 })
        let sizes = eligible.merging(before, uniquingKeysWith: +)
        let wanted = min(max(total, 0), eligible.values.reduce(0, +))
        let names = sizes.keys.sorted()
        var start = before
        guard wanted > 0 else { return eligible.mapValues { _ in 0 } }
        var left = wanted
        let floor = Dictionary(uniqueKeysWithValues: names.map { ($0, min(eligible[$0]!, max(0, minimum - before[$0]!))) })
        if minimum > 0, floor.values.reduce(0, +) <= wanted {
            for name in names {
                start[name]! += floor[name]!
                left -= floor[name]!
            }
        }
        func quiet(in split: [String: Int]) -> Set<String> {
            Set(names.filter { pow(1 - min(max(expectedErrorRates[$0] ?? 0, 0), 1), Double(split[$0]!)) > 0.5 })
        }
        // The strata planned one by one, in name order (ties to the lower index do not then
        // depend on dictionary order), and the quiet ones, if any, as one pool after them.
        func plan(quiet: Set<String>) -> [String: Int] {
            let loud = names.filter { !quiet.contains($0) }, pooled = names.filter { quiet.contains($0) }
            let pool = (size: pooled.reduce(0) { $0 + sizes[$1]! }, start: pooled.reduce(0) { $0 + start[$1]! })
            var units = loud.map { (size: sizes[$0]!, start: start[$0]!) }
            if !pooled.isEmpty { units.append(pool) }
            let counts = addWhereVarianceFallsMost(
                start: units.map(\.start), sizes: units.map(\.size),
                variance: { h, n in
                    h < loud.count
                        ? plannedVariance(size: units[h].size, errorRate: expectedErrorRates[loud[h]] ?? 0, drawn: n)
                        : plannedBoundVariance(size: units[h].size, drawn: n)
                },
                while: { added, _ in added < left }).counts
            var split = Dictionary(uniqueKeysWithValues: zip(loud, counts))
            if !pooled.isEmpty {
                split.merge(inProportion(pooled, sizes: sizes, atLeast: start, total: counts[loud.count], minimum: minimum),
                            uniquingKeysWith: +)
            }
            return split
        }
        var quietStrata = quiet(in: plan(quiet: []))
        var split = plan(quiet: quietStrata)
        for _ in 0..<4 {
            let settled = quiet(in: split)
            if settled == quietStrata { break }
            quietStrata = settled
            split = plan(quiet: quietStrata)
        }
        return split.merging(before, uniquingKeysWith: -)
    }

    /// The quiet strata's pool split in proportion to their sizes, none below what it already
    /// holds (`atLeast`): a stratum an earlier sample gave more than its share keeps it, and the
    /// rest is split among the others. With nothing held, plain proportion with the `minimum`.
    private static func inProportion(_ pooled: [String], sizes: [String: Int], atLeast held: [String: Int], total: Int,
                                     minimum: Int) -> [String: Int] {
        var fixed: [String: Int] = [:]
        while true {
            let free = pooled.filter { fixed[$0] == nil }
            let share = proportional(sizes: Dictionary(uniqueKeysWithValues: free.map { ($0, sizes[$0]!) }),
                                     total: max(0, total - fixed.values.reduce(0, +)), minimum: minimum)
            let short = free.filter { share[$0]! < held[$0]! }
            if short.isEmpty { return share.merging(fixed, uniquingKeysWith: +) }
            for name in short { fixed[name] = held[name]! }
        }
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

    /// As a variance, (bound / z)², the exact bound the estimator puts on the errors of a pool of
    /// `size` pairs with `drawn` of them in the sample and none seen (`minimumVariance`).
    static func plannedBoundVariance(size: Int, drawn n: Int) -> Double {
        guard n > 0 else { return .infinity }
        let bound = NoErrorSeenBound.errors([.init(covered: Double(size - n), frame: Double(size), drawn: Double(n), weight: 1)])
        return (bound / LinkageQuality.z) * (bound / LinkageQuality.z)
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
