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
        try QueueFile.using(path, writing: true) { db in try read(labels: labelsPath, into: db, reviewer: reviewer) }
    }

    /// The labels read into a queue inside the caller's transaction, on either backend. The
    /// pairs are marked decided first and the decisions appended after `lockingChain` (on a
    /// server, the chain's lock): a reviewer holding one of the pairs while waiting for the
    /// chain then finishes first, where taking the chain first would deadlock with them.
    package static func read(labels labelsPath: String, into db: some QueueWriting, reviewer: String,
                             lockingChain: () throws -> Void = {}) throws -> LabelImportSummary {
        var reader = try CSVReader(path: labelsPath)
        defer { reader.close() }
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

        func record(_ datasetColumn: Int?, _ idColumn: Int) throws -> Int64? {
            if let datasetColumn {
                return try db.queueRow("SELECT id FROM record WHERE source_dataset = ? AND unique_id = ?",
                                       [.text(try reader.string(at: datasetColumn)), .text(try reader.string(at: idColumn))])?.optionalInt64("id")
            }
            return try db.queueRow("SELECT id FROM record WHERE unique_id = ? LIMIT 1", [.text(try reader.string(at: idColumn))])?
                .optionalInt64("id")
        }
        var labelled: [(pair: Int64, verdict: Verdict)] = []
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
            guard let pairID = try db.queueRow("""
                SELECT id FROM pair WHERE (left_record_id = ? AND right_record_id = ?) OR (left_record_id = ? AND right_record_id = ?)
                """, [.integer(left), .integer(right), .integer(right), .integer(left)])?.optionalInt64("id") else {
                summary.notInQueue += 1
                continue
            }
            labelled.append((pairID, verdict))
            let decided = try db.queueRows("UPDATE pair SET state = 'decided' WHERE id = ? AND state IN ('pending', 'claimed') RETURNING id",
                                           [.integer(pairID)])
            // A reviewer's claim on it ends: the verdict is in (a late one of theirs is refused).
            if !decided.isEmpty { try Claims.end(db, pair: pairID) }
            switch verdict {
            case .match: summary.matches += 1
            case .nonMatch: summary.nonMatches += 1
            case .unsure: summary.unsure += 1
            }
        }
        try lockingChain()
        var chain = try DecisionAppender(db, reviewer: reviewer)
        let note = "imported from \(URL(fileURLWithPath: labelsPath).lastPathComponent)"
        for (pair, verdict) in labelled { try chain.append(pairID: pair, verdict: verdict, note: note) }
        return summary
    }
}
