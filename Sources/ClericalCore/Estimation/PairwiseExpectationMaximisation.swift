import Foundation

/// The textbook EM: one E-step term per pair, no aggregation. It exists to check
/// `ExpectationMaximisation` (which must agree with it) and as the benchmark's baseline.
/// It shares only the M-step, so what the two compare is the aggregation by pattern.
public enum PairwiseExpectationMaximisation {
    /// - Parameters:
    ///   - gammas: `gammas[j]` is pair j's comparison vector.
    ///   - labels: `labels[j]`, when given, is pair j's final verdict (nil or unsure: not clamped).
    public static func estimate(start: FellegiSunterModel, gammas: [[Int]], labels: [Verdict?]? = nil,
                                options: EstimationOptions = .init()) -> EstimationResult {
        let levelIndex = start.comparisons.map { comparison in
            Dictionary(comparison.levels.enumerated().map { ($1.gamma, $0) }, uniquingKeysWith: { first, _ in first })
        }
        var state = EstimationState(start: start)
        let shape = start.parameters.map { $0.map { _ in 0.0 } }
        func level(_ j: Int, _ k: Int) -> Int {
            guard k < gammas[j].count, let i = levelIndex[k][gammas[j][k]], !state.isNull[k][i] else { return -1 }
            return i
        }
        func pass() -> ExpectedCounts {
            var counts = ExpectedCounts(shape: shape)
            for j in gammas.indices {
                let log = state.logProbabilities(comparisons: start.comparisons.count) { level(j, $0) }
                let posterior: Double
                switch labels?[j] {
                case .match?:
                    posterior = 1
                    counts.logLikelihood += log.match
                case .nonMatch?:
                    posterior = 0
                    counts.logLikelihood += log.nonMatch
                default:
                    posterior = 1 / (1 + exp(log.nonMatch - log.match))
                    counts.logLikelihood += LogSum.of(log.match, log.nonMatch)
                }
                counts.add(levels: { level(j, $0) }, comparisons: start.comparisons.count,
                           matches: posterior, nonMatches: 1 - posterior)
            }
            return counts
        }
        var iterations = 0
        var converged = false
        while iterations < options.maxIterations {
            iterations += 1
            if state.maximise(pass(), options: options) < options.tolerance {
                converged = true
                break
            }
        }
        return EstimationResult(
            model: state.model(from: start), iterations: iterations, converged: converged,
            logLikelihood: pass().logLikelihood,
            labelledMatches: labels?.filter { $0 == .match }.count ?? 0,
            labelledNonMatches: labels?.filter { $0 == .nonMatch }.count ?? 0)
    }
}
