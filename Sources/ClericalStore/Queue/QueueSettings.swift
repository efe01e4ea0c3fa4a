import ClericalCore
import GRDB

/// Queue-wide facts kept in `queue_setting`.
struct QueueSettings {
    var linkType: String?
    var reviewBand: ReviewBand?
    /// "mw" (Splink 5) or "bf" (Splink 4), when the predictions carried per-comparison weights.
    var weightColumns: String?
    /// Re-estimate automatically after this many new decisions (nil: never).
    var reestimateEvery: Int?
    /// The model's column names, for exports in Splink's own terms.
    var uniqueIdColumn: String?
    var sourceDatasetColumn: String?
    /// Review masked unless a reviewer is told otherwise (`clerical reviewers mask`).
    var maskByDefault = false

    static func load(_ db: some QueueReading) throws -> QueueSettings {
        var values: [String: String] = [:]
        for row in try db.queueRows("SELECT key, value FROM queue_setting") {
            values[row.text("key")] = row.optionalText("value")
        }
        var settings = QueueSettings()
        settings.linkType = values["link_type"]
        settings.weightColumns = values["weight_columns"]
        settings.reestimateEvery = values["reestimate_every"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        settings.uniqueIdColumn = values["unique_id_column"]
        settings.sourceDatasetColumn = values["source_dataset_column"]
        settings.maskByDefault = values["mask_by_default"] == "on"
        if let text = values["review_band"] {
            let parts = text.split(separator: " ")
            if parts.count == 2 {
                settings.reviewBand = parts[0] == "weight"
                    ? try? ReviewBand.parse(weight: String(parts[1]))
                    : try? ReviewBand.parse(probability: String(parts[1]))
            }
        }
        return settings
    }

    func save(_ db: some QueueWriting) throws {
        let values: [(String, String?)] = [
            ("link_type", linkType),
            ("review_band", reviewBand?.description),
            ("weight_columns", weightColumns),
            ("reestimate_every", reestimateEvery.map(String.init) ?? "0"),
            ("unique_id_column", uniqueIdColumn),
            ("source_dataset_column", sourceDatasetColumn),
            ("mask_by_default", maskByDefault ? "on" : "off"),
        ]
        for case let (key, value?) in values {
            try db.queueExecute("INSERT INTO queue_setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                [.text(key), .text(value)])
        }
    }
}
