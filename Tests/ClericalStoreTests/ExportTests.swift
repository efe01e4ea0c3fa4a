import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

final class ExportTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }
    func output(_ name: String) -> String { folder.appendingPathComponent(name).path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// A queue with verdicts of every kind, a correction, a withdrawal and notes that need quoting.
    func decidedQueue(_ fixture: Fixture) throws -> [(pair: ReviewPair, verdict: Verdict?)] {
        _ = try SplinkImporter.run(queue: path, predictions: fixture.predictions, model: fixture.model,
                                   band: .probability(low: 0.001, high: 0.999999))
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        defer { queue.close() }
        var standing: [(pair: ReviewPair, verdict: Verdict?)] = []
        let verdicts: [Verdict] = [.match, .nonMatch, .unsure, .match, .nonMatch, .match]
        let notes = ["plain", "comma, and \"quotes\"", "two\nlines", "Ó Briain — naïve", "", "last"]
        for (verdict, note) in zip(verdicts, notes) {
            let pair = try XCTUnwrap(queue.claimNext())
            try queue.decide(pair.id, verdict, note: note, shown: pair.score)
            standing.append((pair, verdict))
        }
        try queue.decide(standing[0].pair.id, .nonMatch, note: "changed my mind", shown: nil)  // a correction
        standing[0].verdict = .nonMatch
        _ = try queue.undoLast()  // withdraws the latest verdict: the correction
        standing[0].verdict = nil
        return standing
    }

    func testLabelsRoundTripAsSplinksLabelsTable() throws {
        let standing = try decidedQueue(.splink5Dedupe)
        let summary = try Exports.write(.labels(includeUnsure: false), queue: path, to: output("labels.csv"))
        let rows = try parseCSV(output("labels.csv"))
        XCTAssertEqual(rows[0], ["unique_id_l", "unique_id_r", "clerical_match_score"])
        var expected = Set<[String]>()
        for (pair, verdict) in standing {
            guard let verdict, verdict != .unsure else { continue }
            expected.insert([pair.left.uniqueID, pair.right.uniqueID, verdict == .match ? "1.0" : "0.0"])
        }
        XCTAssertEqual(Set(rows.dropFirst()), expected)
        XCTAssertEqual(summary.rows, expected.count)

        _ = try Exports.write(.labels(includeUnsure: true), queue: path, to: output("labels.csv"))
        let withUnsure = try parseCSV(output("labels.csv"))
        XCTAssertEqual(withUnsure.count, rows.count + 1)
        XCTAssertTrue(withUnsure.contains([standing[2].pair.left.uniqueID, standing[2].pair.right.uniqueID, "0.5"]))
    }

    func testLabelsOfALinkJobNameTheSourceDatasets() throws {
        let standing = try decidedQueue(.splink5Link)
        _ = try Exports.write(.labels(includeUnsure: false), queue: path, to: output("labels.csv"))
        let rows = try parseCSV(output("labels.csv"))
        XCTAssertEqual(rows[0], ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r", "clerical_match_score"])
        let first = try XCTUnwrap(standing.first)
        let second = standing[1]
        XCTAssertFalse(rows.contains { $0[1] == first.pair.left.uniqueID && $0[3] == first.pair.right.uniqueID }, "withdrawn")
        XCTAssertTrue(rows.contains([second.pair.left.sourceDataset, second.pair.left.uniqueID,
                                     second.pair.right.sourceDataset, second.pair.right.uniqueID, "0.0"]))
    }

    func testDecisionsExportEveryRowAsCSVAndJSONLines() throws {
        _ = try decidedQueue(.splink5Dedupe)
        let db = try QueueFile.open(path: path)
        let stored = try db.read { try Row.fetchAll($0, sql: "SELECT * FROM decision ORDER BY id") }
        try db.close()
        XCTAssertEqual(stored.count, 8)

        _ = try Exports.write(.decisions(try Exports.DecisionFormat(path: output("decisions.csv"))), queue: path, to: output("decisions.csv"))
        let csv = try parseCSV(output("decisions.csv"))
        XCTAssertEqual(csv[0], Exports.decisionColumns)
        XCTAssertEqual(csv.count - 1, stored.count)
        for (row, decision) in zip(csv.dropFirst(), stored) {
            let field = Dictionary(uniqueKeysWithValues: zip(csv[0], row))
            XCTAssertEqual(field["decision_id"], String(decision["id"] as Int64))
            XCTAssertEqual(field["verdict"], (decision["verdict"] as String?) ?? "")
            XCTAssertEqual(field["note"], (decision["note"] as String?) ?? "")
            XCTAssertEqual(field["reviewer"], "ana")
            XCTAssertEqual(field["decided_at"], decision["decided_at"] as String)
            XCTAssertEqual(field["shown_match_weight"].flatMap(Double.init), decision["shown_match_weight"] as Double?)
        }

        _ = try Exports.write(.decisions(try Exports.DecisionFormat(path: output("decisions.jsonl"))), queue: path, to: output("decisions.jsonl"))
        let lines = try String(contentsOfFile: output("decisions.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, stored.count)
        for (line, decision) in zip(lines, stored) {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(object["decision_id"] as? Int64, decision["id"] as Int64)
            XCTAssertEqual(object["note"] as? String, decision["note"] as String?)
            XCTAssertEqual(object["verdict"] as? String, decision["verdict"] as String?)
            // Numbers read with Swift's exact parser: Foundation's JSON reader rounds on Linux.
            XCTAssertEqual(exactNumber(String(line), ["shown_match_probability"]), decision["shown_match_probability"] as Double?)
        }
        XCTAssertThrowsError(try Exports.write(.decisions(try Exports.DecisionFormat(path: output("decisions.txt"))), queue: path, to: output("decisions.txt"))) { error in
            XCTAssertEqual((error as? ClericalError)?.status, .usage)
        }
    }

    func testTheModelExportKeepsEveryKeyAndWritesTheReestimatedM() throws {
        _ = try decidedQueue(.splink5Dedupe)
        _ = try XCTUnwrap(Reestimation.run(queue: path, request: ReestimationRequest()))
        _ = try Exports.write(.model(includeU: false, includeLambda: false), queue: path, to: output("model.json"))

        let imported = try jsonObject(Fixture.splink5Dedupe.model)
        let exported = try jsonObject(output("model.json"))
        XCTAssertEqual(keyPaths(exported), keyPaths(imported), "every key as imported, none added")
        // Byte for byte as imported, but for the m values.
        let importedLines = try String(contentsOfFile: Fixture.splink5Dedupe.model, encoding: .utf8).split(separator: "\n")
        let exportedLines = try String(contentsOfFile: output("model.json"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(importedLines.count, exportedLines.count)
        for (before, after) in zip(importedLines, exportedLines) where before != after {
            XCTAssertTrue(before.contains("\"m_probability\"") && after.contains("\"m_probability\""), "\(before) → \(after)")
        }
        XCTAssertEqual(exported["probability_two_random_records_match"] as? Double,
                       imported["probability_two_random_records_match"] as? Double, "λ only when asked")

        let db = try QueueFile.open(path: path)
        let current = try XCTUnwrap(db.read { try ModelStore.currentModel($0) }).model
        let exportedText = try String(contentsOfFile: output("model.json"), encoding: .utf8)
        let comparisons = try XCTUnwrap(exported["comparisons"] as? [[String: Any]])
        let importedComparisons = try XCTUnwrap(imported["comparisons"] as? [[String: Any]])
        for (k, comparison) in comparisons.enumerated() {
            let levels = try XCTUnwrap(comparison["comparison_levels"] as? [[String: Any]])
            let importedLevels = try XCTUnwrap(importedComparisons[k]["comparison_levels"] as? [[String: Any]])
            for (i, level) in levels.enumerated() where level["is_null_level"] as? Bool != true {
                XCTAssertEqual(exactNumber(exportedText, ["comparisons", k, "comparison_levels", i, "m_probability"]),
                               current.parameters[k][i].m)
                XCTAssertEqual(level["u_probability"] as? Double, importedLevels[i]["u_probability"] as? Double, "u only when asked")
                XCTAssertEqual(level["sql_condition"] as? String, importedLevels[i]["sql_condition"] as? String)
            }
        }

        _ = try Exports.write(.model(includeU: true, includeLambda: true), queue: path, to: output("model-u.json"))
        let withU = try jsonObject(output("model-u.json"))
        let withUText = try String(contentsOfFile: output("model-u.json"), encoding: .utf8)
        XCTAssertEqual(exactNumber(withUText, ["probability_two_random_records_match"]), current.lambda)
        XCTAssertNotNil(withU["comparisons"])
        let firstLevel = try XCTUnwrap(current.comparisons[0].levels.firstIndex { !$0.isNull })
        XCTAssertEqual(exactNumber(withUText, ["comparisons", 0, "comparison_levels", firstLevel, "u_probability"]),
                       current.parameters[0][firstLevel].u)
    }

    func testKeysClericalDoesNotKnowSurviveTheExport() throws {
        var model = try String(contentsOfFile: Fixture.splink5Dedupe.model, encoding: .utf8)
        model = model.replacingOccurrences(of: "\"comparisons\":", with: "\"x_site_specific\": {\"owner\": \"linkage team\", \"ids\": [1, 2.50]},\n\"comparisons\":")
        model = model.replacingOccurrences(of: "\"is_null_level\": true", with: "\"is_null_level\": true, \"x_reviewed\": null")
        let modelPath = output("model-with-extras.json")
        try model.write(toFile: modelPath, atomically: true, encoding: .utf8)
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: modelPath)
        _ = try XCTUnwrap(Reestimation.run(queue: path, request: ReestimationRequest()))
        _ = try Exports.write(.model(includeU: true, includeLambda: true), queue: path, to: output("model.json"))
        let exported = try String(contentsOfFile: output("model.json"), encoding: .utf8)
        XCTAssertTrue(exported.contains("\"x_site_specific\": {\"owner\": \"linkage team\", \"ids\": [1, 2.50]}"))
        XCTAssertEqual(exported.components(separatedBy: "\"x_reviewed\": null").count, model.components(separatedBy: "\"x_reviewed\": null").count)
        XCTAssertNotNil(try jsonObject(output("model.json"))["x_site_specific"])
    }

    func testAQueueWithoutAModelJSONHasNoModelToExport() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions)
        XCTAssertThrowsError(try Exports.write(.model(includeU: false, includeLambda: false), queue: path, to: output("model.json"))) { error in
            XCTAssertEqual((error as? ClericalError)?.status, .dataError)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output("model.json")))
    }

    // MARK: - Reading back

    func jsonObject(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The number at `path` (keys and indices), parsed exactly.
    func exactNumber(_ json: String, _ path: [Any]) -> Double? {
        let bytes = Array(json.utf8)
        var node = JSONNode.parse(bytes)
        for step in path {
            if let key = step as? String { node = node?[key] } else if let index = step as? Int { node = node?.elements[index] }
        }
        return node.flatMap { Double(String(decoding: bytes[$0.range], as: UTF8.self)) }
    }

    /// Every key path in a JSON value ("comparisons.comparison_levels.m_probability").
    func keyPaths(_ value: Any, prefix: String = "") -> Set<String> {
        var paths = Set<String>()
        if let object = value as? [String: Any] {
            for (key, child) in object {
                paths.insert(prefix + key)
                paths.formUnion(keyPaths(child, prefix: prefix + key + "."))
            }
        } else if let array = value as? [Any] {
            for child in array { paths.formUnion(keyPaths(child, prefix: prefix)) }
        }
        return paths
    }

    /// A small RFC 4180 reader: quoted fields with commas, quotes and newlines.
    func parseCSV(_ path: String) throws -> [[String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var characters = Array(text)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { row.append(field); field = "" }
            else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(c) }
        }
        return rows
    }
}
