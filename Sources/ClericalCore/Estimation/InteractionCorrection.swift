import Foundation

/// The verdicts on one comparison vector: what the correction is fitted on.
public struct LabelledPattern: Sendable, Equatable, Codable {
    public var gammas: [Int]
    public var matches: Int
    public var nonMatches: Int

    public init(gammas: [Int], matches: Int, nonMatches: Int) {
        self.gammas = gammas
        self.matches = matches
        self.nonMatches = nonMatches
    }

    public var total: Int { matches + nonMatches }
}

/// What the base model cannot see, learned from verdicts: a penalised logistic model of match
/// status on labelled patterns, with the base model's log-odds (capped) as offset, and main
/// effects and pairwise interactions of comparison levels as features; then each pattern's
/// probability is shrunk toward its own verdicts.
///
/// Fellegi–Sunter assumes comparisons independent given match status. Household members agree on
/// surname and address together far more often than independence allows, so the base model calls
/// them near-certain matches; an interaction "surname exact × address exact" with a negative
/// coefficient is what takes that back. The fit costs O(labelled patterns) per iteration.
///
///     let correction = InteractionCorrection.fit(base: model, labelled: patterns)
///     CorrectedModel(base: model, correction: correction).score(gammas: [3, 3, 0, 0, 3, 3, 2, 1])
public struct InteractionCorrection: Sendable, Equatable, Codable {
    /// A feature: comparison `first` at level `firstGamma`, alone (`second == nil`) or together
    /// with comparison `second` at `secondGamma`. Gammas include -1, the null level.
    public struct Term: Sendable, Hashable, Codable {
        public var first: Int
        public var firstGamma: Int
        public var second: Int?
        public var secondGamma: Int?
    }

    public struct Settings: Sendable, Equatable, Codable {
        /// The base log-odds offset is capped at ± this many nats: beyond it, verdicts can still
        /// move a pattern (the base model is sure of patterns it has never been shown wrong on).
        public var offsetCap = 8.0
        /// Gaussian prior precision on each coefficient (ridge), in 1/nats². `--model auto`
        /// chooses it by cross-validation (`ModelSelection.penalties`); this is the penalty
        /// of `--model dependent`. On the household sets 3 was best, and 1 overfitted.
        public var penalty = 3.0
        /// Prior strength, in pairs, of the model's probability against a pattern's own verdicts.
        public var shrinkage = 1.0
        /// Main effects (one level alone) besides the pairwise interactions: they let verdicts
        /// recalibrate a level the base model weighs wrongly.
        public var mainEffects = true

        public init() {}
    }

    public var settings: Settings
    public var intercept: Double
    /// Coefficients in nats, for the terms seen among the labelled patterns.
    public var coefficients: [Term: Double]
    /// Verdicts per pattern (gammas as text), for the shrinkage.
    public var verdicts: [String: LabelledPattern]
    /// The capped base log-odds of the labelled patterns, lowest and highest. The correction is
    /// only trusted within them (and a nat beyond): verdicts from the review band alone say
    /// nothing about patterns the base model is sure of, and a logistic fit extrapolated there
    /// moved tens of thousands of household-set pairs the wrong way. An audit spreads verdicts
    /// over the whole range, and with it the correction's reach.
    public var labelledOffsets: ClosedRange<Double>
    /// How far beyond `labelledOffsets` the correction still applies, in nats.
    public static let reach = 1.0

    public static func key(_ gammas: [Int]) -> String { gammas.map(String.init).joined(separator: ",") }

    /// The features of one comparison vector: every level alone and every pair of levels.
    static func terms(_ gammas: [Int], main: Bool = true) -> [Term] {
        var result: [Term] = []
        result.reserveCapacity(gammas.count * (gammas.count + 1) / 2)
        for k in gammas.indices {
            if main { result.append(Term(first: k, firstGamma: gammas[k], second: nil, secondGamma: nil)) }
            for j in (k + 1)..<gammas.count {
                result.append(Term(first: k, firstGamma: gammas[k], second: j, secondGamma: gammas[j]))
            }
        }
        return result
    }

    /// The capped offset: the base model's log-odds in nats.
    static func offset(_ base: any PatternScoring, _ gammas: [Int], cap: Double) -> Double {
        let nats = base.score(gammas: gammas).matchWeight * M_LN2
        return min(max(nats, -cap), cap)
    }

    /// The correction's log-odds (nats) for a comparison vector, before shrinkage.
    public func logOdds(base: any PatternScoring, gammas: [Int]) -> Double {
        let offset = Self.offset(base, gammas, cap: settings.offsetCap)
        guard offset >= labelledOffsets.lowerBound - Self.reach, offset <= labelledOffsets.upperBound + Self.reach else {
            return base.score(gammas: gammas).matchWeight * M_LN2
        }
        var eta = offset + intercept
        for term in Self.terms(gammas, main: settings.mainEffects) { eta += coefficients[term] ?? 0 }
        return eta
    }

    /// Fits the correction on the labelled patterns by Newton's method with conjugate-gradient
    /// steps (Hessian-vector products only: O(labelled patterns × terms per pattern) each).
    public static func fit(base: any PatternScoring, labelled: [LabelledPattern], settings: Settings = .init()) -> InteractionCorrection {
        let patterns = labelled.filter { $0.total > 0 }
        var index: [Term: Int] = [:]
        var rowList: [[Int]] = []
        for pattern in patterns {
            rowList.append(terms(pattern.gammas, main: settings.mainEffects).map { term in
                if let i = index[term] { return i }
                index[term] = index.count + 1  // 0 is the intercept
                return index.count
            })
        }
        let rows = DesignRows(rowList)
        let features = index.count + 1
        let offsets = patterns.map { offset(base, $0.gammas, cap: settings.offsetCap) }
        let y = patterns.map { Double($0.matches) }
        let n = patterns.map { Double($0.total) }
        var beta = [Double](repeating: 0, count: features)
        // The intercept is penalised like every term: an unpenalised one drifts far (to −13 nats
        // on band verdicts) against large opposite terms, and extrapolates to every pattern.
        let penalty = [Double](repeating: settings.penalty, count: features)

        func eta(_ p: Int) -> Double { rows.sum(p, of: beta, from: offsets[p] + beta[0]) }
        /// Σ y·η − n·log(1 + e^η) − ½ Σ penalty·β².
        func objective(_ b: [Double]) -> Double {
            var total = 0.0
            for p in patterns.indices {
                let e = rows.sum(p, of: b, from: offsets[p] + b[0])
                let softplus = e > 0 ? e + log1p(exp(-e)) : log1p(exp(e))
                total += y[p] * e - n[p] * softplus
            }
            for i in b.indices { total -= 0.5 * penalty[i] * b[i] * b[i] }
            return total
        }
        for _ in 0..<25 {
            var gradient = (0..<features).map { -penalty[$0] * beta[$0] }
            var weights = [Double](repeating: 0, count: patterns.count)
            for p in patterns.indices {
                let probability = 1 / (1 + exp(-eta(p)))
                let residual = y[p] - n[p] * probability
                gradient[0] += residual
                rows.add(residual, to: &gradient, row: p)
                weights[p] = n[p] * probability * (1 - probability)
            }
            // Solve (XᵀWX + P) step = gradient by conjugate gradients.
            func hessianTimes(_ v: [Double]) -> [Double] {
                var out = (0..<features).map { penalty[$0] * v[$0] }
                for p in patterns.indices where weights[p] > 0 {
                    let xv = rows.sum(p, of: v, from: v[0]) * weights[p]
                    out[0] += xv
                    rows.add(xv, to: &out, row: p)
                }
                return out
            }
            var step = [Double](repeating: 0, count: features)
            var residual = gradient, direction = gradient
            var rr = dot(residual, residual)
            let start = rr
            for _ in 0..<60 where rr > 1e-18 * max(start, 1) {
                let hd = hessianTimes(direction)
                let alpha = rr / max(dot(direction, hd), 1e-300)
                for i in 0..<features { step[i] += alpha * direction[i]; residual[i] -= alpha * hd[i] }
                let next = dot(residual, residual)
                for i in 0..<features { direction[i] = residual[i] + next / rr * direction[i] }
                rr = next
            }
            // Backtracking line search on the penalised log-likelihood (concave): a full Newton
            // step can overshoot where the offsets are large and some patterns nearly separate.
            let before = objective(beta)
            var scale = 1.0
            var accepted = false
            while scale > 1e-4 {
                let trial = (0..<features).map { beta[$0] + scale * step[$0] }
                if objective(trial) >= before - 1e-12 {
                    beta = trial
                    accepted = true
                    break
                }
                scale /= 2
            }
            let largest = step.reduce(0) { max($0, abs($1)) } * scale
            if !accepted || largest < 1e-6 { break }
        }
        var coefficients: [Term: Double] = [:]
        for (term, i) in index where abs(beta[i]) > 1e-9 { coefficients[term] = beta[i] }
        return InteractionCorrection(
            settings: settings, intercept: beta[0], coefficients: coefficients,
            verdicts: Dictionary(patterns.map { (key($0.gammas), $0) }, uniquingKeysWith: { first, _ in first }),
            labelledOffsets: (offsets.min() ?? 0)...(offsets.max() ?? 0))
    }

    /// The strongest pairwise interactions learned, largest first, in bits.
    public func strongestInteractions(_ count: Int) -> [(term: Term, bits: Double)] {
        coefficients.filter { $0.key.second != nil }
            .sorted { abs($0.value) != abs($1.value) ? abs($0.value) > abs($1.value) : "\($0.key)" < "\($1.key)" }
            .prefix(count)
            .map { ($0.key, $0.value / M_LN2) }
    }
}

/// The design matrix's rows (the terms of each labelled pattern) in one flat array: the
/// Newton steps walk them many times per fit, and nested arrays cost a retain per row.
private struct DesignRows {
    let starts: [Int]
    let columns: [Int]

    init(_ rows: [[Int]]) {
        var starts = [0]
        starts.reserveCapacity(rows.count + 1)
        for row in rows { starts.append(starts.last! + row.count) }
        self.starts = starts
        columns = rows.flatMap { $0 }
    }

    /// `initial` plus the row's entries of `values`, in the row's order.
    @inline(__always)
    func sum(_ row: Int, of values: [Double], from initial: Double) -> Double {
        var total = initial
        columns.withUnsafeBufferPointer { columns in
            values.withUnsafeBufferPointer { values in
                for j in starts[row]..<starts[row + 1] { total += values[columns[j]] }
            }
        }
        return total
    }

    /// Adds `amount` to each of the row's entries of `values`.
    @inline(__always)
    func add(_ amount: Double, to values: inout [Double], row: Int) {
        columns.withUnsafeBufferPointer { columns in
            values.withUnsafeMutableBufferPointer { values in
                for j in starts[row]..<starts[row + 1] { values[columns[j]] += amount }
            }
        }
    }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double {
    var total = 0.0
    for i in a.indices { total += a[i] * b[i] }
    return total
}

/// The base model with the correction: what scores the queue when verdicts show the base model
/// wrong in ways independence cannot express. Behind the same scoring interface.
public struct CorrectedModel: PatternScoring {
    public var base: FellegiSunterModel
    public var correction: InteractionCorrection

    public init(base: FellegiSunterModel, correction: InteractionCorrection) {
        self.base = base
        self.correction = correction
    }

    public func score(gammas: [Int]) -> PatternScore {
        var probability = 1 / (1 + exp(-correction.logOdds(base: base, gammas: gammas)))
        if let own = correction.verdicts[InteractionCorrection.key(gammas)] {
            let strength = correction.settings.shrinkage
            probability = (Double(own.matches) + strength * probability) / (Double(own.total) + strength)
        }
        let bounded = min(max(probability, 1e-15), 1 - 1e-15)
        return PatternScore(matchWeight: MatchWeight.weight(probability: bounded))
    }
}
