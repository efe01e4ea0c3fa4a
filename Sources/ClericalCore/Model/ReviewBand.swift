/// The band of uncertainty whose pairs go to people; pairs outside it are decided by the model.
///
///     let band = try ReviewBand.parse(probability: "0.05:0.95")
///     band.contains(matchWeight: 0.3, matchProbability: 0.55)  // true
public enum ReviewBand: Sendable, Equatable, CustomStringConvertible {
    case probability(low: Double, high: Double)
    case weight(low: Double, high: Double)

    public static let `default` = ReviewBand.probability(low: 0.05, high: 0.95)

    public func contains(matchWeight: Double, matchProbability: Double) -> Bool {
        switch self {
        case let .probability(low, high): return matchProbability >= low && matchProbability <= high
        case let .weight(low, high): return matchWeight >= low && matchWeight <= high
        }
    }

    public var description: String {
        switch self {
        case let .probability(low, high): return "probability \(low):\(high)"
        case let .weight(low, high): return "weight \(low):\(high)"
        }
    }

    /// Parses `LOW:HIGH` as a band of match probability, each in [0, 1].
    public static func parse(probability text: String) throws(ClericalError) -> ReviewBand {
        let (low, high) = try bounds(text, flag: "--review-probability")
        guard low >= 0, high <= 1 else {
            throw ClericalError(.usage, "--review-probability \(text): both ends must lie in [0, 1]")
        }
        return .probability(low: low, high: high)
    }

    /// Parses `LOW:HIGH` as a band of match weight.
    public static func parse(weight text: String) throws(ClericalError) -> ReviewBand {
        let (low, high) = try bounds(text, flag: "--review-weight")
        return .weight(low: low, high: high)
    }

    private static func bounds(_ text: String, flag: String) throws(ClericalError) -> (Double, Double) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]),
              low.isFinite, high.isFinite
        else {
            throw ClericalError(.usage, "\(flag) \(text): expected LOW:HIGH, two numbers such as 0.05:0.95")
        }
        guard low < high else {
            throw ClericalError(.usage, "\(flag) \(text): LOW must be less than HIGH")
        }
        return (low, high)
    }
}
