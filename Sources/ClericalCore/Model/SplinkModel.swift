import Foundation

/// A Splink model JSON, as written by `linker.misc.save_model_to_json()`.
///
/// Only what clerical needs is read; the text itself is kept verbatim so that an export can
/// give it back with nothing changed but the probabilities re-estimated.
///
///     let model = try SplinkModel(json: data, file: "model.json")
///     model.fellegiSunter.score(gammas: [3, 3, 2, 3, 3, 3, 2, 1])
public struct SplinkModel: Sendable, Equatable {
    public var linkType: String
    public var uniqueIdColumn: String
    public var sourceDatasetColumn: String
    public var gammaPrefix: String
    public var fellegiSunter: FellegiSunterModel
    /// The file's bytes, exactly as read.
    public var json: String

    public var comparisons: [Comparison] { fellegiSunter.comparisons }

    public init(json data: Data, file: String) throws(ClericalError) {
        let location = InputLocation(file: file)
        func fail(_ message: String) -> ClericalError {
            ClericalError(.dataError, message, at: location)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail("not UTF-8 text: a Splink model JSON was expected")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw fail("not valid JSON: a Splink model JSON (linker.misc.save_model_to_json) was expected")
        }
        guard let root = parsed as? [String: Any] else {
            throw fail("the top level is not an object: a Splink model JSON was expected")
        }
        guard let rawComparisons = root["comparisons"] as? [Any] else {
            throw fail("no \"comparisons\" list: this is not a Splink model JSON")
        }
        guard let lambda = (root["probability_two_random_records_match"] as? NSNumber)?.doubleValue else {
            throw fail("no numeric \"probability_two_random_records_match\": this is not a Splink model JSON")
        }
        guard lambda > 0, lambda < 1 else {
            throw fail("probability_two_random_records_match is \(lambda); it must lie strictly between 0 and 1")
        }
        guard !rawComparisons.isEmpty else { throw fail("\"comparisons\" is empty") }

        var comparisons: [Comparison] = []
        var parameters: [[LevelParameters]] = []
        for (k, rawComparison) in rawComparisons.enumerated() {
            guard let object = rawComparison as? [String: Any],
                  let name = object["output_column_name"] as? String, !name.isEmpty
            else { throw fail("comparison \(k + 1) has no \"output_column_name\"") }
            guard !comparisons.contains(where: { $0.name == name }) else {
                throw fail("comparison \"\(name)\" appears twice")
            }
            guard let rawLevels = object["comparison_levels"] as? [Any], !rawLevels.isEmpty else {
                throw fail("comparison \"\(name)\" has no \"comparison_levels\"")
            }
            let levelObjects = try rawLevels.enumerated().map { (i, raw) throws(ClericalError) -> [String: Any] in
                guard let level = raw as? [String: Any] else {
                    throw fail("comparison \"\(name)\" level \(i + 1) is not an object")
                }
                return level
            }
            // Gamma: the null level is -1; the others count down in order to ELSE = 0.
            var nextGamma = levelObjects.filter { ($0["is_null_level"] as? Bool) != true }.count - 1
            var levels: [ComparisonLevel] = []
            var levelParameters: [LevelParameters] = []
            for (i, level) in levelObjects.enumerated() {
                let isNull = (level["is_null_level"] as? Bool) == true
                let label = (level["label_for_charts"] as? String)
                    ?? (level["sql_condition"] as? String) ?? "level \(i + 1)"
                let gamma: Int
                if isNull {
                    gamma = -1
                } else {
                    gamma = nextGamma
                    nextGamma -= 1
                }
                levels.append(ComparisonLevel(gamma: gamma, label: label, isNull: isNull,
                                              sqlCondition: level["sql_condition"] as? String))
                if isNull {
                    levelParameters.append(.null)
                    continue
                }
                guard let m = (level["m_probability"] as? NSNumber)?.doubleValue,
                      let u = (level["u_probability"] as? NSNumber)?.doubleValue
                else {
                    throw fail("comparison \"\(name)\" level \"\(label)\" has no numeric m_probability and u_probability")
                }
                guard m > 0, m <= 1, u > 0, u <= 1 else {
                    throw fail("comparison \"\(name)\" level \"\(label)\": m (\(m)) and u (\(u)) must lie in (0, 1]")
                }
                levelParameters.append(LevelParameters(m: m, u: u))
            }
            comparisons.append(Comparison(
                name: name, description: object["comparison_description"] as? String, levels: levels))
            parameters.append(levelParameters)
        }

        self.linkType = root["link_type"] as? String ?? "dedupe_only"
        self.uniqueIdColumn = root["unique_id_column_name"] as? String ?? "unique_id"
        self.sourceDatasetColumn = root["source_dataset_column_name"] as? String ?? "source_dataset"
        self.gammaPrefix = root["comparison_vector_value_column_prefix"] as? String ?? "gamma_"
        self.fellegiSunter = FellegiSunterModel(comparisons: comparisons, lambda: lambda, parameters: parameters)
        self.json = text
    }
}
