import ClericalCore

/// What each column of a Splink predictions CSV is, read from its header.
///
/// Splink 5 writes `mw_<comparison>` (a match weight); Splink 4 writes `bf_<comparison>`
/// (a Bayes factor). Every `<col>_l`/`<col>_r` pair is a field to show the reviewer.
struct PredictionsLayout: Sendable {
    enum WeightKind: String, Sendable { case matchWeight = "mw", bayesFactor = "bf" }

    struct ComparisonColumns: Sendable {
        var name: String
        var gamma: Int
        /// `mw_<name>` or `bf_<name>`, when present.
        var weight: Int?
    }

    struct FieldColumns: Sendable {
        var name: String
        var left: Int
        var right: Int
    }

    var header: [String]
    var matchWeight: Int
    var matchProbability: Int
    var uniqueIdLeft: Int
    var uniqueIdRight: Int
    var sourceDatasetLeft: Int?
    var sourceDatasetRight: Int?
    var matchKey: Int?
    var comparisons: [ComparisonColumns]
    var fields: [FieldColumns]
    var weightKind: WeightKind?
    /// Term-frequency adjustment weight columns (`mw_tf_adj_*` or `bf_tf_adj_*`).
    var termFrequencyAdjustments: [Int]

    var isLinkJob: Bool { sourceDatasetLeft != nil }

    init(header: [String], file: String, uniqueIdColumn: String = "unique_id",
         sourceDatasetColumn: String = "source_dataset", gammaPrefix: String = "gamma_") throws(ClericalError) {
        self.header = header
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            if index[name] != nil {
                throw ClericalError(.dataError, "column \"\(name)\" appears twice in the header",
                                    at: InputLocation(file: file, line: 1))
            }
            index[name] = i
        }
        func required(_ name: String) throws(ClericalError) -> Int {
            guard let i = index[name] else {
                throw ClericalError(.dataError, "missing required column \"\(name)\": expected Splink predictions written with retain_matching_columns and retain_intermediate_calculation_columns",
                                    at: InputLocation(file: file, line: 1))
            }
            return i
        }
        matchWeight = try required("match_weight")
        matchProbability = try required("match_probability")
        uniqueIdLeft = try required("\(uniqueIdColumn)_l")
        uniqueIdRight = try required("\(uniqueIdColumn)_r")
        sourceDatasetLeft = index["\(sourceDatasetColumn)_l"]
        sourceDatasetRight = index["\(sourceDatasetColumn)_r"]
        if (sourceDatasetLeft == nil) != (sourceDatasetRight == nil) {
            let missing = sourceDatasetLeft == nil ? "\(sourceDatasetColumn)_l" : "\(sourceDatasetColumn)_r"
            throw ClericalError(.dataError, "missing required column \"\(missing)\": a link job needs both source dataset columns",
                                at: InputLocation(file: file, line: 1))
        }
        matchKey = index["match_key"]

        let hasMW = header.contains { $0.hasPrefix("mw_") && !$0.hasPrefix("mw_tf_adj_") }
        let hasBF = header.contains { $0.hasPrefix("bf_") && !$0.hasPrefix("bf_tf_adj_") }
        weightKind = hasMW ? .matchWeight : (hasBF ? .bayesFactor : nil)
        let weightPrefix = weightKind.map { "\($0.rawValue)_" }

        comparisons = header.enumerated().compactMap { i, name in
            guard name.hasPrefix(gammaPrefix) else { return nil }
            let comparison = String(name.dropFirst(gammaPrefix.count))
            return ComparisonColumns(name: comparison, gamma: i, weight: weightPrefix.flatMap { index[$0 + comparison] })
        }
        guard !comparisons.isEmpty else {
            throw ClericalError(.dataError, "no \(gammaPrefix)* columns: expected Splink predictions written with retain_intermediate_calculation_columns",
                                at: InputLocation(file: file, line: 1))
        }
        termFrequencyAdjustments = header.indices.filter {
            header[$0].hasPrefix("mw_tf_adj_") || header[$0].hasPrefix("bf_tf_adj_")
        }

        // Fields: every <col>_l with a matching <col>_r, in header order, bar the ids.
        let identity: Set<String> = [uniqueIdColumn, sourceDatasetColumn]
        fields = header.enumerated().compactMap { i, name in
            guard name.hasSuffix("_l") else { return nil }
            let base = String(name.dropLast(2))
            guard !identity.contains(base), !base.hasPrefix("tf_"), let right = index[base + "_r"] else { return nil }
            return FieldColumns(name: base, left: i, right: right)
        }
    }
}
