import ClericalCore
import Foundation
import GRDB

/// What the exports wrote, for the command to report.
public struct ExportSummary: Sendable, Equatable {
    public var path: String
    public var rows: Int
    public var note: String?
}

/// The queue's results in the formats other tools read: Splink's labels table, Splink's
/// model JSON, and the full decision log.
public enum Exports {
    // MARK: - Labels

    /// Splink's labels table (`register_labels_table`): one row per pair with a final verdict,
    /// match = 1.0, non-match = 0.0, unsure left out unless `includeUnsure` (then 0.5). Link
    /// jobs carry the source dataset of each side.
    public static func labels(queue path: String, to output: String, includeUnsure: Bool) throws(ClericalError) -> ExportSummary {
        try reading(path) { db in
            let settings = try QueueSettings.load(db)
            let uniqueID = settings.uniqueIdColumn ?? "unique_id"
            let dataset = settings.sourceDatasetColumn ?? "source_dataset"
            let isLink = settings.linkType == "link_only" || settings.linkType == "link_and_dedupe"
            var text = CSVText.row(isLink
                ? ["\(dataset)_l", "\(uniqueID)_l", "\(dataset)_r", "\(uniqueID)_r", "clerical_match_score"]
                : ["\(uniqueID)_l", "\(uniqueID)_r", "clerical_match_score"])
            let records = try RawStatement(db, sql: """
                SELECT l.source_dataset, l.unique_id, r.source_dataset, r.unique_id
                FROM pair p JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id WHERE p.id = ?
                """)
            var rows = 0
            for labelled in try FinalVerdictQuery.all(db) {
                let score: String
                switch labelled.verdict {
                case .match: score = "1.0"
                case .nonMatch: score = "0.0"
                case .unsure:
                    guard includeUnsure else { continue }
                    score = "0.5"
                }
                records.bind(1, labelled.pairID)
                guard let ids = try records.first({ ($0.text(0), $0.text(1), $0.text(2), $0.text(3)) }) else { continue }
                text += CSVText.row(isLink ? [ids.0, ids.1, ids.2, ids.3, score] : [ids.1, ids.3, score])
                rows += 1
            }
            return (text, ExportSummary(path: output, rows: rows, note: nil))
        }
    }

    // MARK: - Links

    /// The linkage: one row per pair decided as a match, by a reviewer (its final verdict) or
    /// by the model (no match or non-match verdict, and the current probability ≥ 0.5). With
    /// `clusters`, every record instead, with the connected component of the accepted links it
    /// belongs to, in the columns of Splink's `cluster_pairwise_predictions_at_threshold`.
    public static func links(queue path: String, to output: String, clusters: Bool) throws(ClericalError) -> ExportSummary {
        try reading(path) { db in
            let settings = try QueueSettings.load(db)
            let isLink = settings.linkType == "link_only" || settings.linkType == "link_and_dedupe"
            let final = Dictionary(try FinalVerdictQuery.all(db).map { ($0.pairID, $0) }, uniquingKeysWith: { first, _ in first })
            let pairs = try RawStatement(db, sql: """
                SELECT p.id, p.left_record_id, p.right_record_id, t.match_probability,
                       l.source_dataset, l.unique_id, r.source_dataset, r.unique_id
                FROM pair p JOIN pattern t ON t.id = p.pattern_id
                JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
                ORDER BY p.id
                """)
            var text = clusters ? "" : CSVText.row((isLink ? ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]
                                                           : ["unique_id_l", "unique_id_r"])
                                                   + ["match_probability", "decided_by", "decision_kind"])
            var components = Components()
            var rows = 0
            try pairs.each { row in
                let probability = row.double(3)
                let decided = final[row.int64(0)].flatMap { $0.verdict == .unsure ? nil : $0 }
                guard decided.map({ $0.verdict == .match }) ?? (probability >= 0.5) else { return }
                if clusters {
                    components.join(row.int64(1), row.int64(2))
                    return
                }
                let ids = [row.text(4), row.text(5), row.text(6), row.text(7)]
                text += CSVText.row((isLink ? ids : [ids[1], ids[3]])
                                    + [String(probability), decided?.decidedBy ?? "model", decided?.kind.rawValue ?? "model"])
                rows += 1
            }
            if clusters {
                text = CSVText.row(["cluster_id", "source_dataset", "unique_id"])
                let records = try RawStatement(db, sql: "SELECT id, source_dataset, unique_id FROM record ORDER BY id")
                var members: [(root: Int64, dataset: String, id: String)] = []
                try records.each { row in members.append((components.root(row.int64(0)), row.text(1) ?? "", row.text(2) ?? "")) }
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
            return (text, ExportSummary(path: output, rows: rows, note: nil))
        }
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
    public static func model(queue path: String, to output: String, includeU: Bool, includeLambda: Bool) throws(ClericalError) -> ExportSummary {
        try reading(path) { db in
            guard let imported = try String.fetchOne(db, sql: """
                SELECT splink_json FROM model_version WHERE origin = 'splink-json' ORDER BY id LIMIT 1
                """) else {
                throw ClericalError(.dataError, "\(path): the queue was imported without a Splink model JSON (clerical import --model), so there is no Splink model to export")
            }
            let bytes = Array(imported.utf8)
            guard let current = try ModelStore.currentModel(db), let root = JSONNode.parse(bytes) else {
                throw ClericalError(.dataError, "\(path): the stored Splink model JSON cannot be read back")
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
            if try String.fetchOne(db, sql: "SELECT correction FROM model_version WHERE id = ?", arguments: [current.id]) != nil {
                notes.append("this is the base model: the correction learned from verdicts (interactions) cannot be written in Splink's JSON and stays in the queue; its decisions leave through export links")
            }
            if includeU { notes.append("u estimated over the queue's candidate pairs, not Splink's random-pair u") }
            if includeLambda { notes.append("λ is the match rate among candidate pairs, not among random pairs") }
            return (text, ExportSummary(path: output, rows: model.comparisons.count, note: notes.joined(separator: "; ")))
        }
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

    /// Every decision row, oldest first: withdrawals (undo) have no verdict.
    public static func decisions(queue path: String, to output: String) throws(ClericalError) -> ExportSummary {
        let format = try DecisionFormat(path: output)
        return try reading(path) { db in
            let rows = try RawStatement(db, sql: """
                SELECT d.id, d.pair_id, l.source_dataset, l.unique_id, r.source_dataset, r.unique_id, d.reviewer, d.kind,
                       d.verdict, d.note, d.decided_at, d.shown_match_weight, d.shown_match_probability,
                       -- What the reviewer revealed of the pair in masked review before this
                       -- decision: field names, "*" for the whole pair.
                       (SELECT group_concat(coalesce(v.field, '*'), ';') FROM reveal v
                        WHERE v.pair_id = d.pair_id AND v.reviewer = d.reviewer AND v.revealed_at <= d.decided_at)
                FROM decision d JOIN pair p ON p.id = d.pair_id
                JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
                ORDER BY d.id
                """)
            var text = format == .csv ? CSVText.row(decisionColumns) : ""
            var count = 0
            try rows.each { row in
                let numbers = [row.isNull(11) ? nil : row.double(11), row.isNull(12) ? nil : row.double(12)]
                switch format {
                case .csv:
                    let texts: [String?] = (2...10).map { row.text(Int32($0)) }
                    let ids: [String?] = [String(row.int64(0)), String(row.int64(1))]
                    text += CSVText.row(ids + texts + numbers.map(CSVText.number) + [row.text(13)])
                case .jsonl:
                    var members = [("decision_id", String(row.int64(0))), ("pair_id", String(row.int64(1)))]
                    for i in 2...10 {
                        members.append((decisionColumns[i], row.text(Int32(i)).map(JSONText.string) ?? "null"))
                    }
                    members.append(("shown_match_weight", numbers[0].map(JSONText.number) ?? "null"))
                    members.append(("shown_match_probability", numbers[1].map(JSONText.number) ?? "null"))
                    members.append(("revealed", row.text(13).map(JSONText.string) ?? "null"))
                    text += JSONText.object(members) + "\n"
                }
                count += 1
            }
            return (text, ExportSummary(path: output, rows: count, note: nil))
        }
    }

    // MARK: -

    /// Reads the queue in one snapshot, then writes the file.
    private static func reading(_ path: String, _ body: (Database) throws -> (String, ExportSummary)) throws(ClericalError) -> ExportSummary {
        let (text, summary) = try QueueFile.using(path, body)
        try ExportFile.write(text, to: summary.path)
        return summary
    }
}
