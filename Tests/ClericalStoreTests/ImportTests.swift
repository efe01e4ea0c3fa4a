import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

final class ImportTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func queuePath(_ name: String = "queue.db") -> String { folder.appendingPathComponent(name).path }

    func importFixture(_ fixture: Fixture, withModel: Bool = true, band: ReviewBand? = nil) throws -> (DatabaseQueue, ImportSummary) {
        let summary = try SplinkImporter.run(queue: queuePath(), predictions: fixture.predictions,
                                             model: withModel ? fixture.model : nil, band: band)
        return (try QueueFile.open(path: queuePath()), summary)
    }

    // MARK: - Counts

    func testEveryFixtureImportsWithTheRightCounts() throws {
        for fixture in Fixture.allCases {
            try FileManager.default.removeItem(at: folder)
            folder = temporaryFolder()
            let table = fixture.table
            let (db, summary) = try importFixture(fixture)
            let hasDatasets = table.header.contains("source_dataset_l")
            var records = Set<String>(), patterns = Set<[String]>()
            var pending = 0
            for row in table.rows {
                let datasetL = hasDatasets ? row[table.column("source_dataset_l")] : ""
                let datasetR = hasDatasets ? row[table.column("source_dataset_r")] : ""
                records.insert(datasetL + "\u{1}" + row[table.column("unique_id_l")])
                records.insert(datasetR + "\u{1}" + row[table.column("unique_id_r")])
                patterns.insert(table.gammaColumns.map { row[$0] })
                let p = Double(row[table.column("match_probability")])!
                if p >= 0.05 && p <= 0.95 { pending += 1 }
            }
            XCTAssertEqual(summary.rows, table.rows.count, "\(fixture)")
            XCTAssertEqual(try count(db, "SELECT count(*) FROM pair"), table.rows.count, "\(fixture)")
            XCTAssertEqual(try count(db, "SELECT count(*) FROM record"), records.count, "\(fixture)")
            XCTAssertEqual(try count(db, "SELECT count(*) FROM pattern"), patterns.count, "\(fixture)")
            XCTAssertEqual(try count(db, "SELECT sum(pair_count) FROM pattern"), table.rows.count, "\(fixture)")
            XCTAssertEqual(try count(db, pendingForReviewSQL), pending, "\(fixture)")
            XCTAssertEqual(try count(db, decidedByModelSQL), table.rows.count - pending, "\(fixture)")
            XCTAssertEqual(summary.pending, pending)
            XCTAssertGreaterThan(pending, 0)
        }
    }

    func testEachPairKeepsItsGammaValuesAndRecordValues() throws {
        let table = Fixture.splink5Dedupe.table
        let (db, _) = try importFixture(.splink5Dedupe)
        let stored = try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT l.unique_id AS l, r.unique_id AS r, t.gammas, l.field_values AS lv, r.field_values AS rv
                FROM pair p JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
                JOIN pattern t ON t.id = p.pattern_id
                """)
        }
        var byPair: [String: Row] = [:]
        for row in stored { byPair["\(row["l"] as String)|\(row["r"] as String)"] = row }
        let fields = try db.read { try String.fetchAll($0, sql: "SELECT name FROM field ORDER BY position") }
        XCTAssertEqual(fields, ["given_name", "surname", "date_of_birth", "soc_sec_id", "address_1", "suburb",
                                "postcode", "state", "street_number", "address_2"])
        for row in table.rows {
            let key = row[table.column("unique_id_l")] + "|" + row[table.column("unique_id_r")]
            let pair = try XCTUnwrap(byPair[key], key)
            XCTAssertEqual(pair["gammas"] as String, table.gammaColumns.map { row[$0] }.joined(separator: ","))
            let leftValues = try JSONSerialization.jsonObject(with: Data((pair["lv"] as String).utf8)) as! [Any]
            for (i, field) in fields.enumerated() {
                let expected = row[table.column(field + "_l")]
                if expected.isEmpty { XCTAssertTrue(leftValues[i] is NSNull, "\(key) \(field)") }
                else { XCTAssertEqual(leftValues[i] as? String, expected, "\(key) \(field)") }
            }
        }
    }

    // MARK: - The model

    func testLabelsMAndULambdaEqualTheModelFile() throws {
        for fixture in [Fixture.splink5Dedupe, .splink4Dedupe, .splink5Link] {
            try? FileManager.default.removeItem(atPath: queuePath())
            let (db, _) = try importFixture(fixture)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.model))) as! [String: Any]
            let current = try XCTUnwrap(try db.read { try ModelStore.currentModel($0) })
            XCTAssertEqual(current.model.lambda, json["probability_two_random_records_match"] as! Double)
            let comparisons = json["comparisons"] as! [[String: Any]]
            XCTAssertEqual(current.model.comparisons.map(\.name), comparisons.map { $0["output_column_name"] as! String })
            for (k, comparison) in comparisons.enumerated() {
                let levels = comparison["comparison_levels"] as! [[String: Any]]
                XCTAssertEqual(current.model.comparisons[k].levels.map(\.label), levels.map { $0["label_for_charts"] as! String })
                for (i, level) in levels.enumerated() {
                    XCTAssertEqual(current.model.parameters[k][i].m, level["m_probability"] as? Double)
                    XCTAssertEqual(current.model.parameters[k][i].u, level["u_probability"] as? Double)
                }
                // Gamma coding: null -1, then n-1 down to 0.
                let gammas = current.model.comparisons[k].levels.map(\.gamma)
                XCTAssertEqual(gammas, [-1] + Array((0..<(levels.count - 1)).reversed()))
            }
            let storedJSON = try db.read { try String.fetchOne($0, sql: "SELECT splink_json FROM model_version WHERE id = 1") }
            XCTAssertEqual(storedJSON, try String(contentsOfFile: fixture.model, encoding: .utf8), "stored verbatim")
        }
    }

    func testPatternScoresEqualSplinkMatchWeights() throws {
        for fixture in [Fixture.splink5Dedupe, .splink4Dedupe] {
            try? FileManager.default.removeItem(atPath: queuePath())
            let (db, _) = try importFixture(fixture)
            let rows = try db.read { db in
                try Row.fetchAll(db, sql: "SELECT p.imported_match_weight AS w, t.match_weight AS tw FROM pair p JOIN pattern t ON t.id = p.pattern_id")
            }
            for row in rows {
                XCTAssertEqual(row["tw"] as Double, row["w"] as Double, accuracy: 1e-9, "\(fixture)")
            }
        }
    }

    func testWithoutModelLevelsAreTheGammasSeenAndWeightsComeFromTheFile() throws {
        for fixture in [Fixture.splink5Dedupe, .splink4Dedupe] {
            try? FileManager.default.removeItem(atPath: queuePath())
            let (db, _) = try importFixture(fixture, withModel: false)
            let table = fixture.table
            let current = try XCTUnwrap(try db.read { try ModelStore.currentModel($0) })
            let splink = try SplinkModel(json: Data(contentsOf: URL(fileURLWithPath: fixture.model)), file: fixture.model)
            XCTAssertEqual(current.model.lambda, splink.fellegiSunter.lambda, accuracy: splink.fellegiSunter.lambda * 1e-9)
            for (k, comparison) in current.model.comparisons.enumerated() {
                let seen = Set(table.values("gamma_" + comparison.name).map { Int($0)! })
                XCTAssertEqual(Set(comparison.levels.map(\.gamma)), seen, comparison.name)
                for (i, level) in comparison.levels.enumerated() where !level.isNull {
                    let expected = splink.fellegiSunter.parameters(comparison: k, gamma: level.gamma)!.weight
                    XCTAssertEqual(current.model.parameters[k][i].weight, expected, accuracy: 1e-9, "\(comparison.name) γ\(level.gamma)")
                }
            }
        }
    }

    // MARK: - Importing again

    /// A bulk load packs pages full; claims live in their own table and a pair row never grows,
    /// so claiming pairs rewrites their pages in place instead of splitting them.
    func testClaimsOnANewQueueSplitNoPage() throws {
        let (db, summary) = try importFixture(.splink5Dedupe, band: .probability(low: 0.001, high: 0.999))
        XCTAssertGreaterThan(summary.pending, 100)
        try db.close()

        let pagesBefore = try QueueFile.using(queuePath()) { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? 0 }
        let queue = try ReviewQueue(path: queuePath(), reviewer: "anna.kowalska@example.org")
        var claimed: Set<Int64> = []
        for _ in 0..<100 {
            let pair = try XCTUnwrap(try queue.claimNext(excluding: claimed))
            claimed.insert(pair.id)
        }
        queue.close()
        XCTAssertEqual(claimed.count, 100)
        let (pagesAfter, claimPages) = try QueueFile.using(queuePath()) { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0,
             try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM claim) * 60 / 4096 + 1") ?? 0)
        }
        XCTAssertLessThanOrEqual(pagesAfter - pagesBefore, claimPages,
                                 "100 claims allocated only the claim table's own pages: no pair page split")
    }

    func testReimportingTheSameFileChangesNothing() throws {
        let (db, first) = try importFixture(.splink5Link)
        let before = try snapshot(db)
        try db.close()
        let second = try SplinkImporter.run(queue: queuePath(), predictions: Fixture.splink5Link.predictions, model: Fixture.splink5Link.model)
        XCTAssertEqual(second.added, 0)
        XCTAssertEqual(second.duplicates, first.rows)
        XCTAssertEqual(second.newRecords, 0)
        XCTAssertEqual(second.newPatterns, 0)
        XCTAssertEqual(try snapshot(QueueFile.open(path: queuePath())), before)
    }

    func testImportingMorePairsAddsOnlyTheNewOnes() throws {
        let lines = try String(contentsOfFile: Fixture.splink5Dedupe.predictions, encoding: .utf8).split(separator: "\n")
        let firstHalf = folder.appendingPathComponent("first.csv"), secondHalf = folder.appendingPathComponent("second.csv")
        try (lines[0...3000].joined(separator: "\n") + "\n").write(to: firstHalf, atomically: true, encoding: .utf8)
        try ([lines[0]] + lines[2001...]).joined(separator: "\n").write(to: secondHalf, atomically: true, encoding: .utf8)
        _ = try SplinkImporter.run(queue: queuePath(), predictions: firstHalf.path, model: Fixture.splink5Dedupe.model)
        let second = try SplinkImporter.run(queue: queuePath(), predictions: secondHalf.path, model: Fixture.splink5Dedupe.model)
        XCTAssertEqual(second.duplicates, 1000)
        XCTAssertEqual(second.added, lines.count - 1 - 3000)
        let db = try QueueFile.open(path: queuePath())
        XCTAssertEqual(try count(db, "SELECT count(*) FROM pair"), lines.count - 1)
        XCTAssertEqual(try count(db, "SELECT sum(pair_count) FROM pattern"), lines.count - 1)
        XCTAssertEqual(try count(db, "SELECT count(*) FROM import_batch"), 2)
    }

    func testReviewWeightBand() throws {
        let table = Fixture.splink4Dedupe.table
        let (db, _) = try importFixture(.splink4Dedupe, band: .weight(low: -5, high: 5))
        let expected = table.values("match_weight").filter { abs(Double($0)!) <= 5 }.count
        XCTAssertEqual(try count(db, pendingForReviewSQL), expected)
    }

    func testQueueFileSettings() throws {
        let (db, _) = try importFixture(.splink5Link)
        try db.read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA journal_mode"), "wal")
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA synchronous"), 2, "FULL")
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), 1)
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT DISTINCT source_dataset FROM record ORDER BY 1"), ["A_febrl4_a", "A_febrl4_b"])
        }
    }

    /// Every table's rows but the import log: what a re-import must leave alone.
    func snapshot(_ db: DatabaseQueue) throws -> [String] {
        try db.read { db in
            var lines: [String] = []
            for table in ["comparison", "comparison_level", "field", "model_version", "level_parameter", "record", "pattern", "pair", "decision"] {
                let columns = table == "pair" ? "id, left_record_id, right_record_id, pattern_id, imported_match_weight, state" : "*"
                for row in try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table) ORDER BY 1") { lines.append("\(table) \(row)") }
            }
            return lines
        }
    }

    /// What a batch looks up in a queue on a server: every record the file names, once, keyed
    /// as the importer keys it (the source dataset in a link job, "" in a dedupe job). A row
    /// of the wrong shape is passed over: the import itself reports it.
    func testRecordKeysAreTheRecordsAnImportMakes() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for fixture in [Fixture.splink5Link, .splink5Dedupe] {
            let path = folder.appendingPathComponent("\(fixture.rawValue).db").path
            _ = try SplinkImporter.run(queue: path, predictions: fixture.predictions, model: fixture.model)
            let made = try DatabaseQueue(path: path).read { db in
                try Row.fetchAll(db, sql: "SELECT source_dataset, unique_id FROM record").map {
                    SplinkImporter.RecordKey(dataset: $0[0], uniqueID: $0[1])
                }
            }
            let keys = try SplinkImporter.recordKeys(predictions: fixture.predictions, model: fixture.model)
            XCTAssertEqual(keys.count, made.count, fixture.rawValue)
            XCTAssertEqual(Set(keys), Set(made), fixture.rawValue)
            XCTAssertEqual(Set(keys.map(\.dataset)) == [""], fixture == .splink5Dedupe, fixture.rawValue)
        }
        let table = Fixture.splink5Dedupe.table
        let broken = folder.appendingPathComponent("broken.csv").path
        let lines = [table.header] + table.rows.prefix(2) + [Array(table.rows[2].prefix(3))]
        try lines.map { $0.joined(separator: ",") }.joined(separator: "\n").appending("\n").write(toFile: broken, atomically: true, encoding: .utf8)
        let ids = Set(table.rows.prefix(2).flatMap { [$0[table.column("unique_id_l")], $0[table.column("unique_id_r")]] })
        XCTAssertEqual(Set(try SplinkImporter.recordKeys(predictions: broken, model: nil).map(\.uniqueID)), ids)
        XCTAssertThrowsError(try SplinkImporter.run(queue: folder.appendingPathComponent("broken.db").path, predictions: broken)) { error in
            XCTAssertEqual((error as? ClericalError)?.location?.line, 4)
        }
    }
}

final class PairStateCountTests: XCTestCase {
    /// The per-state counters always equal a full count, through imports and state changes.
    func testCountersFollowImportsAndStateChanges() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("q.db").path
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink4Dedupe.predictions, model: Fixture.splink4Dedupe.model)
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        func assertExact(_ message: String) throws {
            let db = try QueueFile.open(path: path)
            defer { try? db.close() }
            let full = try db.read { try Row.fetchAll($0, sql: "SELECT state, count(*) AS n FROM pair GROUP BY state") }
            let counters = try db.read { try Row.fetchAll($0, sql: "SELECT state, count AS n FROM pair_state_count WHERE count > 0") }
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: full.map { ($0["state"] as String, $0["n"] as Int) }),
                           Dictionary(uniqueKeysWithValues: counters.map { ($0["state"] as String, $0["n"] as Int) }), message)
            // The open pairs per pattern, and in and out of the band.
            XCTAssertEqual(try count(db, """
                SELECT count(*) FROM pattern t
                WHERE open_count <> (SELECT count(*) FROM pair WHERE pattern_id = t.id AND state = 'pending')
                """), 0, message)
            XCTAssertEqual(try count(db, "SELECT count FROM band_count WHERE in_band = 1"), try count(db, pendingForReviewSQL), message)
            XCTAssertEqual(try count(db, "SELECT count FROM band_count WHERE in_band = 0"), try count(db, decidedByModelSQL), message)
        }
        try assertExact("after import")
        let first = try XCTUnwrap(try queue.claimNext())
        try assertExact("after a claim")
        let (_, second, _) = try queue.decideAndClaimNext(first.id, .match, note: nil, shown: first.score)
        try assertExact("after a verdict and the next claim")
        try queue.release(XCTUnwrap(second).id)
        _ = try queue.undoLast()
        try assertExact("after release and undo")
        queue.close()
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink4Dedupe.predictions, model: Fixture.splink4Dedupe.model)
        try assertExact("after a re-import")
    }
}
