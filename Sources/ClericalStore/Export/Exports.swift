import ClericalCore
import Foundation
import GRDB

/// What the exports wrote, for the command to report.
public struct ExportSummary: Sendable, Equatable {
    public var path: String
    public var rows: Int
    public var note: String?
}

/// What `clerical export` writes, and how.
public enum QueueExport: Sendable, Equatable {
    /// Splink's labels table; unsure verdicts as 0.5 when asked.
    case labels(includeUnsure: Bool)
    /// Every link (a reviewer's match, or the model's at probability ≥ 0.5), or every record
    /// with its cluster.
    case links(clusters: Bool)
    /// The imported Splink model JSON with re-estimated m (and u, λ when asked).
    case model(includeU: Bool, includeLambda: Bool)
    /// Every decision row, as CSV or JSON lines.
    case decisions(Exports.DecisionFormat)
}

/// An export read from a queue, before it is written: the file's text, its rows, and what
/// the command adds after the count.
public struct ExportText: Sendable {
    public var text: String
    public var rows: Int
    public var note: String?
}

/// The queue's results in the formats other tools read: Splink's labels table, Splink's
/// model JSON, the linkage, and the full decision log. Each is read once, over
/// `QueueReading`, from a queue file or a PostgreSQL schema alike.
public enum Exports {
    /// `what`, read from `db` (in one snapshot: the caller's). `queue` names the queue in
    /// messages.
    package static func text(_ what: QueueExport, from db: some QueueReading, queue: String) throws -> ExportText {
        switch what {
        case .labels(let includeUnsure): return try labels(db, includeUnsure: includeUnsure)
        case .links(let clusters): return try links(db, clusters: clusters)
        case .model(let includeU, let includeLambda): return try model(db, queue: queue, includeU: includeU, includeLambda: includeLambda)
        case .decisions(let format): return try decisions(db, format: format)
        }
    }

    /// Writes an export read as `text` to `output`, atomically.
    public static func write(_ export: ExportText, to output: String) throws(ClericalError) -> ExportSummary {
        try ExportFile.write(export.text, to: output)
        return ExportSummary(path: output, rows: export.rows, note: export.note)
    }

    /// Reads `what` from the queue file at `path` in one snapshot, then writes it to `output`.
    public static func write(_ what: QueueExport, queue path: String, to output: String) throws(ClericalError) -> ExportSummary {
        let queue = try QueueHandle(path: path)
        defer { queue.close() }
        return try write(try queue.export(what), to: output)
    }

    // MARK: - Labels

    /// Splink's labels table (`register_labels_table`): one row per pair with a final verdict,
    /// match = 1.0, non-match = 0.0, unsure left out unless `includeUnsure` (then 0.5). Link
    /// jobs carry the source dataset of each side.
    static func labels(_ db: some QueueReading, includeUnsure: Bool) throws -> ExportText {
        let settings = try QueueSettings.load(db)
        let uniqueID = settings.uniqueIdColumn ?? "unique_id"
        let dataset = settings.sourceDatasetColumn ?? "source_dataset"
        let isLink = settings.linkType == "link_only" || settings.linkType == "link_and_dedupe"
        var text = CSVText.row(isLink
            ? ["\(dataset)_l", "\(uniqueID)_l", "\(dataset)_r", "\(uniqueID)_r", "clerical_match_score"]
            : ["\(uniqueID)_l", "\(uniqueID)_r", "clerical_match_score"])
        let labelled = try FinalVerdictQuery.all(db)
        let sides = labelled.isEmpty ? [:] : try decidedPairSides(db)
        var rows = 0
        for label in labelled {
            let score: String
            switch label.verdict {
            case .match: score = "1.0"
            case .nonMatch: score = "0.0"
            case .unsure:
                guard includeUnsure else { continue }
                score = "0.5"
            }
            guard let ids = sides[label.pairID] else { continue }
            text += CSVText.row(isLink ? [ids.leftDataset, ids.leftID, ids.rightDataset, ids.rightID, score]
                                       : [ids.leftID, ids.rightID, score])
            rows += 1
        }
        return ExportText(text: text, rows: rows, note: nil)
    }

    /// The two records' source datasets and ids of every pair with a decision, by pair id.
    private static func decidedPairSides(_ db: some QueueReading)
        throws -> [Int64: (leftDataset: String, leftID: String, rightDataset: String, rightID: String)] {
        var sides: [Int64: (leftDataset: String, leftID: String, rightDataset: String, rightID: String)] = [:]
        for row in try db.queueRows("""
            SELECT p.id, l.source_dataset AS l_dataset, l.unique_id AS l_id, r.source_dataset AS r_dataset, r.unique_id AS r_id
            FROM pair p JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
            WHERE p.id IN (SELECT pair_id FROM decision)
            """) {
            sides[row.int64("id")] = (row.text("l_dataset"), row.text("l_id"), row.text("r_dataset"), row.text("r_id"))
        }
        return sides
    }

    // MARK: - Links

    /// The linkage: one row per pair decided as a match, by a reviewer (its final verdict) or
    /// by the model (no match or non-match verdict, and the current probability ≥ 0.5). With
    /// `clusters`, every record instead, with the connected component of the accepted links it
    /// belongs to, in the columns of Splink's `cluster_pairwise_predictions_at_threshold`.
    static func links(_ db: some QueueReading, clusters: Bool) throws -> ExportText {
        let settings = try QueueSettings.load(db)
        let isLink = settings.linkType == "link_only" || settings.linkType == "link_and_dedupe"
        let final = Dictionary(try FinalVerdictQuery.all(db).map { ($0.pairID, $0) }, uniquingKeysWith: { first, _ in first })
        let pairs = try db.queueRows("""
            SELECT p.id, p.left_record_id, p.right_record_id, t.match_probability,
                   l.source_dataset AS l_dataset, l.unique_id AS l_id, r.source_dataset AS r_dataset, r.unique_id AS r_id
            FROM pair p JOIN pattern t ON t.id = p.pattern_id
            JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
            ORDER BY p.id
            """)
        var text = clusters ? "" : CSVText.row((isLink ? ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]
                                                       : ["unique_id_l", "unique_id_r"])
                                               + ["match_probability", "decided_by", "decision_kind"])
        var components = Components()
        var rows = 0
        for row in pairs {
            let probability = row.double("match_probability")
            let decided = final[row.int64("id")].flatMap { $0.verdict == .unsure ? nil : $0 }
            guard decided.map({ $0.verdict == .match }) ?? (probability >= 0.5) else { continue }
            if clusters {
                components.join(row.int64("left_record_id"), row.int64("right_record_id"))
                continue
            }
            let ids = [row.text("l_dataset"), row.text("l_id"), row.text("r_dataset"), row.text("r_id")]
            text += CSVText.row((isLink ? ids : [ids[1], ids[3]])
                                + [String(probability), decided?.decidedBy ?? "model", decided?.kind.rawValue ?? "model"])
            rows += 1
        }
        if clusters {
            text = CSVText.row(["cluster_id", "source_dataset", "unique_id"])
            var members: [(root: Int64, dataset: String, id: String)] = []
            for row in try db.queueRows("SELECT id, source_dataset, unique_id FROM record ORDER BY id") {
                members.append((components.root(row.int64("id")), row.text("source_dataset"), row.text("unique_id")))
            }
            // A cluster is named after its first record, as Splink names it after a member.
            var names: [Int64: String] = [:]
            for member in members where names[member.root] == nil {
                names[member.root] = isLink ? "\(member.dataset)-__-\(member.id)" : member.id
            }
            for member in members {
                text += CSVText.row([names[member.root], member.dataset, member.id])
            }
            rows = members.count
        }
        return ExportText(text: text, rows: rows, note: nil)
    }

    /// Union–find over record ids: the connected components of the accepted links.
    struct Components {
        private var parent: [Int64: Int64] = [:]

        mutating func root(_ x: Int64) -> Int64 {
            var node = x
            while let up = parent[node], up != node { node = up }
            var walk = x  // path compression
            while let up = parent[walk], up != node { parent[walk] = node; walk = up }
            return node
        }

        mutating func join(_ a: Int64, _ b: Int64) {
            let (ra, rb) = (root(a), root(b))
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
    }

    // MARK: - Model

    /// The imported Splink model JSON with the current m of every non-null level; u and λ only
    /// when asked, because over a queue they are conditional on being a candidate pair and are
    /// not Splink's random-pair u. Every other byte is as imported: keys, order, spacing.
    static func model(_ db: some QueueReading, queue: String, includeU: Bool, includeLambda: Bool) throws -> ExportText {
        guard let imported = try db.queueRow("""
            SELECT splink_json FROM model_version WHERE origin = 'splink-json' ORDER BY id LIMIT 1
            """)?.optionalText("splink_json") else {
            throw ClericalError(.dataError, "\(queue): the queue was imported without a Splink model JSON (clerical import --model), so there is no Splink model to export")
        }
        let bytes = Array(imported.utf8)
        guard let current = try ModelStore.currentModel(db), let root = JSONNode.parse(bytes) else {
            throw ClericalError(.dataError, "\(queue): the stored Splink model JSON cannot be read back")
        }
        func isTrue(_ node: JSONNode?) -> Bool {
            node.map { String(decoding: bytes[$0.range], as: UTF8.self) == "true" } ?? false
        }
        let model = current.model
        var replacements: [(Range<Int>, String)] = []
        let comparisons = root["comparisons"]?.elements ?? []
        for (k, comparison) in model.comparisons.enumerated() where k < comparisons.count {
            let levels = comparisons[k]["comparison_levels"]?.elements ?? []
            guard levels.count == comparison.levels.count else { continue }
            for (i, level) in comparison.levels.enumerated() where !level.isNull {
                let parameters = model.parameters[k][i]
                if let m = parameters.m, let node = levels[i]["m_probability"], !isTrue(levels[i]["fix_m_probability"]) {
                    replacements.append((node.range, JSONText.number(m)))
                }
                if includeU, let u = parameters.u, let node = levels[i]["u_probability"], !isTrue(levels[i]["fix_u_probability"]) {
                    replacements.append((node.range, JSONText.number(u)))
                }
            }
        }
        if includeLambda, let node = root["probability_two_random_records_match"] {
            replacements.append((node.range, JSONText.number(model.lambda)))
        }
        let text = String(decoding: JSONText.replacing(bytes, replacements), as: UTF8.self)
        var notes = ["m from model version \(current.id)"]
        if try db.queueRow("SELECT correction FROM model_version WHERE id = ?", [.integer(current.id)])?.optionalText("correction") != nil {
            notes.append("this is the base model: the correction learned from verdicts (interactions) cannot be written in Splink's JSON and stays in the queue; its decisions leave through export links")
        }
        if includeU { notes.append("u estimated over the queue's candidate pairs, not Splink's random-pair u") }
        if includeLambda { notes.append("λ is the match rate among candidate pairs, not among random pairs") }
        return ExportText(text: text, rows: model.comparisons.count, note: notes.joined(separator: "; "))
    }

    // MARK: - Decisions

    public enum DecisionFormat: String, Sendable {
        case csv, jsonl

        /// From the output's extension: .csv or .jsonl.
        public init(path: String) throws(ClericalError) {
            switch (path as NSString).pathExtension.lowercased() {
            case "csv": self = .csv
            case "jsonl", "ndjson": self = .jsonl
            default: throw ClericalError(.usage, "\(path): name the output .csv or .jsonl to choose its format")
            }
        }
    }

    static let decisionColumns = [
        "decision_id", "pair_id", "source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r", "reviewer", "kind",
        "verdict", "note", "decided_at", "shown_match_weight", "shown_match_probability", "revealed",
    ]

    /// One reviewer's reveals of one pair.
    private struct RevealKey: Hashable { var pair: Int64; var reviewer: String }

    /// Every decision row, oldest first: withdrawals (undo) have no verdict. `revealed` is what
    /// the reviewer had revealed of the pair in masked review by the time of the decision:
    /// field names, "*" for the whole pair, in the order revealed.
    static func decisions(_ db: some QueueReading, format: DecisionFormat) throws -> ExportText {
        var reveals: [RevealKey: [(field: String, at: String)]] = [:]
        for row in try db.queueRows("SELECT pair_id, reviewer, field, revealed_at FROM reveal ORDER BY id") {
            reveals[RevealKey(pair: row.int64("pair_id"), reviewer: row.text("reviewer")), default: []]
                .append((field: row.optionalText("field") ?? "*", at: row.text("revealed_at")))
        }
        let rows = try db.queueRows("""
            SELECT d.id, d.pair_id, l.source_dataset AS l_dataset, l.unique_id AS l_id, r.source_dataset AS r_dataset,
                   r.unique_id AS r_id, d.reviewer, d.kind, d.verdict, d.note, d.decided_at,
                   d.shown_match_weight, d.shown_match_probability
            FROM decision d JOIN pair p ON p.id = d.pair_id
            JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
            ORDER BY d.id
            """)
        let textColumns = ["l_dataset", "l_id", "r_dataset", "r_id", "reviewer", "kind", "verdict", "note", "decided_at"]
        var text = format == .csv ? CSVText.row(decisionColumns) : ""
        for row in rows {
            let decidedAt = row.text("decided_at")
            let shown = reveals[RevealKey(pair: row.int64("pair_id"), reviewer: row.text("reviewer"))]?
                .filter { $0.at <= decidedAt }.map(\.field)
            let revealed = (shown?.isEmpty ?? true) ? nil : shown!.joined(separator: ";")
            let numbers = [row.optionalDouble("shown_match_weight"), row.optionalDouble("shown_match_probability")]
            let texts = textColumns.map { row.optionalText($0) }
            switch format {
            case .csv:
                let ids: [String?] = [String(row.int64("id")), String(row.int64("pair_id"))]
                text += CSVText.row(ids + texts + numbers.map(CSVText.number) + [revealed])
            case .jsonl:
                var members = [("decision_id", String(row.int64("id"))), ("pair_id", String(row.int64("pair_id")))]
                for (i, value) in texts.enumerated() {
                    members.append((decisionColumns[i + 2], value.map(JSONText.string) ?? "null"))
                }
                members.append(("shown_match_weight", numbers[0].map(JSONText.number) ?? "null"))
                members.append(("shown_match_probability", numbers[1].map(JSONText.number) ?? "null"))
                members.append(("revealed", revealed.map(JSONText.string) ?? "null"))
                text += JSONText.object(members) + "\n"
            }
        }
        return ExportText(text: text, rows: rows.count, note: nil)
    }
}
