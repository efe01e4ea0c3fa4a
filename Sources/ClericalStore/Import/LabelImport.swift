import ClericalCore
import Foundation
import GRDB

/// What importing a labels table did.
public struct LabelImportSummary: Sendable, Equatable {
    public var rows = 0
    public var matches = 0
    public var nonMatches = 0
    public var unsure = 0
    /// Labels of pairs the queue does not hold: counted, never invented.
    public var notInQueue = 0
}

/// Splink's labels table (`clerical_match_score` 1 → match, 0 → non-match, between → unsure),
/// the labelling tool's export with its extra columns included, as review decisions by one
/// reviewer: hash-chained like any other, in one transaction. A bad row names its file, line
/// and column, and the queue is left as it was.
///
///     try LabelImport.run(queue: "queue.db", labels: "labels.csv", reviewer: "alice")
public enum LabelImport {
    public static func run(queue path: String, labels labelsPath: String, reviewer: String) throws(ClericalError) -> LabelImportSummary {
        var reader = try CSVReader(path: labelsPath)
        defer { reader.close() }
        return try QueueFile.using(path, writing: true) { db in
            let settings = try QueueSettings.load(db)
            let uniqueID = settings.uniqueIdColumn ?? "unique_id"
            let dataset = settings.sourceDatasetColumn ?? "source_dataset"
            let isLink = settings.linkType == "link_only" || settings.linkType == "link_and_dedupe"
            guard try reader.nextRow() else {
                throw ClericalError(.dataError, "the file is empty: expected a header with \(uniqueID)_l, \(uniqueID)_r and clerical_match_score",
                                    at: InputLocation(file: labelsPath))
            }
            try reader.validateUTF8()
            let header = try (0..<reader.fieldCount).map { i throws(ClericalError) in try reader.string(at: i) }
            func column(_ name: String) throws(ClericalError) -> Int {
                guard let index = header.firstIndex(of: name) else {
                    throw ClericalError(.dataError, "no column \"\(name)\": a labels table has \(isLink ? "\(dataset)_l, \(uniqueID)_l, \(dataset)_r, \(uniqueID)_r" : "\(uniqueID)_l, \(uniqueID)_r") and clerical_match_score",
                                        at: InputLocation(file: labelsPath, line: 1))
                }
                return index
            }
            let leftID = try column("\(uniqueID)_l"), rightID = try column("\(uniqueID)_r"), score = try column("clerical_match_score")
            let leftDataset = isLink ? try column("\(dataset)_l") : nil
            let rightDataset = isLink ? try column("\(dataset)_r") : nil

            let findRecord = try RawStatement(db, sql: isLink
                ? "SELECT id FROM record WHERE source_dataset = ? AND unique_id = ?"
                : "SELECT id FROM record WHERE unique_id = ? LIMIT 1")
            let findPair = try RawStatement(db, sql: """
                SELECT id FROM pair WHERE (left_record_id = ?1 AND right_record_id = ?2) OR (left_record_id = ?2 AND right_record_id = ?1)
                """)
            func record(_ datasetColumn: Int?, _ idColumn: Int) throws -> Int64? {
                if let datasetColumn {
                    findRecord.bind(1, try reader.string(at: datasetColumn))
                    findRecord.bind(2, try reader.string(at: idColumn))
                } else {
                    findRecord.bind(1, try reader.string(at: idColumn))
                }
                return try findRecord.first { $0.int64(0) }
            }
            var chain = try DecisionAppender(db, reviewer: reviewer)
            var summary = LabelImportSummary()
            while try reader.nextRow() {
                guard reader.fieldCount == header.count else {
                    throw ClericalError(.dataError, "\(reader.fieldCount) fields where the header has \(header.count)", at: reader.rowLocation())
                }
                try reader.validateUTF8()
                summary.rows += 1
                let text = try reader.string(at: score).trimmingCharacters(in: .whitespaces)
                guard let value = Double(text), value >= 0, value <= 1 else {
                    throw ClericalError(.dataError, "clerical_match_score is \"\(text)\"; expected a number from 0 (non-match) to 1 (match)",
                                        at: reader.location(field: score))
                }
                let verdict: Verdict = value == 1 ? .match : (value == 0 ? .nonMatch : .unsure)
                guard let left = try record(leftDataset, leftID), let right = try record(rightDataset, rightID) else {
                    summary.notInQueue += 1
                    continue
                }
                findPair.bind(1, left)
                findPair.bind(2, right)
                guard let pairID = try findPair.first({ $0.int64(0) }) else {
                    summary.notInQueue += 1
                    continue
                }
                try chain.append(pairID: pairID, verdict: verdict, note: "imported from \(URL(fileURLWithPath: labelsPath).lastPathComponent)")
                try db.execute(sql: "UPDATE pair SET state = 'decided' WHERE id = ? AND state IN ('pending', 'claimed')", arguments: [pairID])
                // A reviewer's claim on it ends: the verdict is in (a late one of theirs is refused).
                if db.changesCount > 0 { try Claims.end(Claims.preparing(db), pair: pairID) }
                switch verdict {
                case .match: summary.matches += 1
                case .nonMatch: summary.nonMatches += 1
                case .unsure: summary.unsure += 1
                }
            }
            return summary
        }
    }
}
