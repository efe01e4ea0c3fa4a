import ClericalCore
import GRDB

/// Queue-wide facts kept in `queue_setting`.
struct QueueSettings {
    var linkType: String?
    var reviewBand: ReviewBand?
    /// "mw" (Splink 5) or "bf" (Splink 4), when the predictions carried per-comparison weights.
    var weightColumns: String?

    static func load(_ db: Database) throws -> QueueSettings {
        var values: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM queue_setting") {
            values[row["key"]] = row["value"]
        }
        var settings = QueueSettings()
        settings.linkType = values["link_type"]
        settings.weightColumns = values["weight_columns"]
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

    func save(_ db: Database) throws {
        let values: [(String, String?)] = [
            ("link_type", linkType),
            ("review_band", reviewBand?.description),
            ("weight_columns", weightColumns),
        ]
        for case let (key, value?) in values {
            try db.execute(sql: "INSERT INTO queue_setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }
}
