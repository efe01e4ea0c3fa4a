/// One level of a comparison, as Splink codes it in `gamma_<comparison>`.
///
/// Gamma coding: the null level is -1; the other levels count down in the model's
/// order to the ELSE level, 0.
public struct ComparisonLevel: Sendable, Equatable, Codable {
    public var gamma: Int
    public var label: String
    public var isNull: Bool

    public init(gamma: Int, label: String, isNull: Bool) {
        self.gamma = gamma
        self.label = label
        self.isNull = isNull
    }
}

/// A comparison of the linkage model: one column of the comparison vector.
public struct Comparison: Sendable, Equatable, Codable {
    /// Splink's `output_column_name`; the CSV holds it as `gamma_<name>`.
    public var name: String
    public var description: String?
    /// In the model's order: highest gamma first, the null level where the model puts it.
    public var levels: [ComparisonLevel]

    public init(name: String, description: String? = nil, levels: [ComparisonLevel]) {
        self.name = name
        self.description = description
        self.levels = levels
    }

    public func level(gamma: Int) -> ComparisonLevel? {
        levels.first { $0.gamma == gamma }
    }
}
