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
