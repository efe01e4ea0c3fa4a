/// How an audit of the pairs the model decided on its own is drawn: a probability sample, so
/// that every estimate from its verdicts can be weighted by the design.
public enum AuditStratification: String, Sendable, Codable, CaseIterable {
    /// Simple random sampling: every eligible pair with the same inclusion probability.
    case none
    /// Stratified by decision side and probability band, with exact proportional allocation.
    case band
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
