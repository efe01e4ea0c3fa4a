import Foundation

extension FellegiSunterModel {
    /// True when every non-null level has m and u, so EM can start from this model.
    public var hasProbabilities: Bool {
        zip(comparisons, parameters).allSatisfy { comparison, parameters in
            zip(comparison.levels, parameters).allSatisfy { level, p in level.isNull || (p.m != nil && p.u != nil) }
        }
    }

    /// This model with m and u filled in where only weights are known (a queue imported
    /// without its model JSON): u from how often each level occurs among the queue's pairs,
    /// m = u · 2^weight, both normalised. The weights' ordering survives; EM does the rest.
    public func withStartingProbabilities(from tallies: [PatternTally]) -> FellegiSunterModel {
        guard !hasProbabilities else { return self }
        var model = self
        for (k, comparison) in comparisons.enumerated() {
            var frequency = [Double](repeating: 1, count: comparison.levels.count)  // add-one smoothing
            for tally in tallies where k < tally.gammas.count {
                if let i = comparison.levels.firstIndex(where: { $0.gamma == tally.gammas[k] }) {
                    frequency[i] += Double(tally.total)
                }
            }
            let levels = comparison.levels.indices.filter { !comparison.levels[$0].isNull }
            let frequencyTotal = levels.reduce(0) { $0 + frequency[$1] }
            let u = levels.map { frequency[$0] / frequencyTotal }
            let m = zip(levels, u).map { i, u in u * exp2(min(parameters[k][i].weight, 60)) }
            let mTotal = m.reduce(0, +)
            for (n, i) in levels.enumerated() {
                model.parameters[k][i] = LevelParameters(m: m[n] / mTotal, u: u[n])
            }
        }
        return model
    }
}
