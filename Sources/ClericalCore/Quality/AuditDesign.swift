/// How an audit of the pairs the model decided on its own is drawn: a probability sample, so
/// that every estimate from its verdicts can be weighted by the design.
public enum AuditStratification: String, Sendable, Codable, CaseIterable {
    /// Simple random sampling: every eligible pair with the same inclusion probability.
    case none
    /// Stratified by decision side and probability band, with exact proportional allocation.
    case band
}

/// How a stratified audit's sample is split across its strata.
public enum AuditAllocation: String, Sendable, Codable, CaseIterable {
    /// In proportion to each stratum's size: every eligible pair equally likely to be drawn.
    case proportional
    /// Neyman's allocation for the quality estimate: the split that makes the interval on the
    /// estimated error count narrowest, planned from the model's own expected error rate in each
    /// stratum (`StratifiedAllocation.minimumVariance`). Pairs near the review band, where a
    /// model's mistakes sit, are drawn more often than pairs it is sure of, which are drawn in
    /// proportion among themselves; the estimate stays design-unbiased either way, since each
    /// pair's inclusion probability is stored.
    case neyman
}

public enum AuditBands {
    /// Edges of the probability bands: the model's non-match side below 0.5, its match side above.
    public static let edges: [Double] = [0, 0.001, 0.01, 0.05, 0.5, 0.95, 0.99, 0.999, 1]
    static let names = ["0", "0.001", "0.01", "0.05", "0.5", "0.95", "0.99", "0.999", "1"]

    /// The stratum of a pair decided at `probability`: "match 0.95–0.99", "non-match 0–0.001".
    public static func stratum(_ probability: Double, _ design: AuditStratification) -> String {
        guard design == .band else { return "all" }
        var band = edges.count - 2
        for i in 0..<(edges.count - 1) where probability < edges[i + 1] {
            band = i
            break
        }
        let side = probability >= 0.5 ? "match" : "non-match"
        return "\(side) \(names[band])–\(names[band + 1])"
    }
}
