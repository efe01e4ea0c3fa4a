import Foundation

/// m, u and the match weight of one comparison level.
///
/// `weight` is log2(m/u) when both are known; a model derived from a predictions file
/// without its model JSON knows only the weight.
public struct LevelParameters: Sendable, Equatable, Codable {
    public var m: Double?
    public var u: Double?
    public var weight: Double

    public init(m: Double?, u: Double?, weight: Double) {
        self.m = m
        self.u = u
        self.weight = weight
    }

    public init(m: Double, u: Double) {
        self.init(m: m, u: u, weight: log2(m / u))
    }

    /// The null level: contributes nothing to the match weight.
    public static let null = LevelParameters(m: nil, u: nil, weight: 0)
}

/// A pattern's score: what the model thinks of every pair that has this comparison vector.
public struct PatternScore: Sendable, Equatable {
    public var matchWeight: Double
    public var matchProbability: Double

    public init(matchWeight: Double) {
        self.matchWeight = matchWeight
        self.matchProbability = MatchWeight.probability(matchWeight)
    }
}

/// The narrow scoring interface: a comparison vector in, a weight and probability out.
/// A later model that fits interactions between comparisons plugs in here.
public protocol PatternScoring: Sendable {
    func score(gammas: [Int]) -> PatternScore
}

public enum MatchWeight {
    /// P(match) for a match weight: 2^w / (1 + 2^w), computed without overflow.
    public static func probability(_ weight: Double) -> Double {
        1 / (1 + exp2(-weight))
    }

    /// The match weight of a probability: log2(p / (1 - p)).
    public static func weight(probability p: Double) -> Double {
        log2(p / (1 - p))
    }
}

/// The Fellegi–Sunter model: λ and, per comparison level, m, u and weight.
public struct FellegiSunterModel: PatternScoring, Sendable, Equatable {
    public var comparisons: [Comparison]
    /// λ: the probability that two candidate records match.
    public var lambda: Double
    /// `parameters[k][i]` belongs to `comparisons[k].levels[i]`.
    public var parameters: [[LevelParameters]]

    public init(comparisons: [Comparison], lambda: Double, parameters: [[LevelParameters]]) {
        precondition(comparisons.count == parameters.count)
        self.comparisons = comparisons
        self.lambda = lambda
        self.parameters = parameters
    }

    /// log2(λ / (1 - λ)): the weight every pair starts from.
    public var priorWeight: Double { MatchWeight.weight(probability: lambda) }

    public func parameters(comparison k: Int, gamma: Int) -> LevelParameters? {
        guard let index = comparisons[k].levels.firstIndex(where: { $0.gamma == gamma }) else { return nil }
        return parameters[k][index]
    }

    /// Match weight = prior + Σ level weights; a gamma the model lacks contributes nothing.
    public func score(gammas: [Int]) -> PatternScore {
        var weight = priorWeight
        for (k, gamma) in gammas.enumerated() where k < comparisons.count {
            weight += parameters(comparison: k, gamma: gamma)?.weight ?? 0
        }
        return PatternScore(matchWeight: weight)
    }
}
