/// One level of a comparison, as Splink codes it in `gamma_<comparison>`.
///
/// Gamma coding: the null level is -1; the other levels count down in the model's
/// order to the ELSE level, 0.
public struct ComparisonLevel: Sendable, Equatable, Codable {
    public var gamma: Int
    public var label: String
    public var isNull: Bool
    /// Splink's `sql_condition`, when the level came from a model JSON.
    public var sqlCondition: String?

    public init(gamma: Int, label: String, isNull: Bool, sqlCondition: String? = nil) {
        self.gamma = gamma
        self.label = label
        self.isNull = isNull
        self.sqlCondition = sqlCondition
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

    /// How a level reads to a reviewer: missing (null), agree (the top level or an exact
    /// match), different (ELSE, gamma 0) or close (anything between).
    public func kind(gamma: Int) -> LevelKind {
        guard let level = level(gamma: gamma), !level.isNull, gamma >= 0 else { return .missing }
        let top = levels.filter { !$0.isNull }.map(\.gamma).max() ?? 0
        if gamma == top || level.label.lowercased().hasPrefix("exact") { return .agree }
        return gamma == 0 ? .different : .close
    }

    /// True when this comparison reads the record column `field` (by name, or in its SQL).
    public func uses(field: String) -> Bool {
        if name == field { return true }
        return levels.contains { level in
            guard let sql = level.sqlCondition else { return false }
            return sql.contains("\"\(field)_l\"") || sql.contains("\(field)_l ") || sql.hasSuffix("\(field)_l")
        }
    }
}

/// The reviewer's reading of a comparison level; themes style each differently and the
/// screen marks each with its own symbol, so meaning survives without colour.
public enum LevelKind: String, Sendable, CaseIterable, Codable {
    case agree, close, different, missing
}
