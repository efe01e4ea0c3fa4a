import Foundation
import GRDB
import XCTest

/// The audit and the linked output, through the binary as a quality lead runs them.
final class LinkageCommandTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder()
        XCTAssertEqual(try Binary.importFixture(into: queue, band: "0.01:0.999").status, 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testAuditBadInputGetsAClearLineAndDrawsNothing() throws {
        let cases: [([String], Int32, String)] = [
            (["qa", "audit", queue, "--count", "999999"], 65, "is more than the"),
            (["qa", "audit", queue, "--fraction", "1.5"], 64, "--fraction must lie in (0, 1]"),
            (["qa", "audit", queue, "--fraction", "0"], 64, "--fraction must lie in (0, 1]"),
            (["qa", "audit", queue, "--count", "5", "--share", "2"], 64, "--share must lie in [0, 1]"),
            (["qa", "audit", queue], 64, "give --count or --fraction"),
            (["qa", "audit", queue, "--count", "5", "--stratify", "tenths"], 64, "tenths"),
            (["qa", "audit", queue, "--count", "5", "--stratify", "none", "--allocation", "neyman"], 64, "it needs --stratify band"),
            (["qa", "audit", queue, "--count", "5", "--allocation", "optimal"], 64, "optimal"),
        ]
        for (arguments, status, message) in cases {
            let run = try Binary.run(arguments)
            XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_pair") }, 0)

        let drawn = try Binary.run(["qa", "audit", queue, "--count", "40", "--stratify", "band", "--seed", "3"])
        XCTAssertEqual(drawn.status, 0, drawn.stderr)
        XCTAssertTrue(drawn.stdout.contains("drew 40 of the"), drawn.stdout)
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_pair") }, 40)
        let neyman = try Binary.run(["qa", "audit", queue, "--count", "40", "--allocation", "neyman", "--seed", "3"])
        XCTAssertEqual(neyman.status, 0, neyman.stderr)
        XCTAssertTrue(neyman.stdout.contains("drew 40 of the"), neyman.stdout)
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_pair") }, 80)
    }

    /// `export links --clusters` against connected components computed here from the links file.
    func testLinksAndClustersAgreeWithConnectedComponentsComputedIndependently() throws {
        // Some verdicts, so that reviewers' decisions and the model's are both in the output.
        let load = Process()
        load.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        load.arguments = [queue, "--reviewer", "ana", "--max", "20", "--report", folder.appendingPathComponent("ana.json").path]
        try load.run()
        load.waitUntilExit()

        let links = folder.appendingPathComponent("links.csv").path
        let clusters = folder.appendingPathComponent("clusters.csv").path
        XCTAssertEqual(try Binary.run(["export", "links", queue, links]).status, 0)
        XCTAssertEqual(try Binary.run(["export", "links", queue, clusters, "--clusters"]).status, 0)

        let linkRows = try String(contentsOfFile: links, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(linkRows[0], ["unique_id_l", "unique_id_r", "match_probability", "decided_by", "decision_kind"])
        XCTAssertTrue(linkRows.dropFirst().contains { $0[3] == "ana" && $0[4] == "review" }, "reviewers' matches are there")
        XCTAssertTrue(linkRows.dropFirst().contains { $0[3] == "model" && $0[4] == "model" }, "the model's matches are there")
        XCTAssertTrue(linkRows.dropFirst().allSatisfy { $0[3] != "model" || Double($0[2])! >= 0.5 })

        // Connected components of the links, by a depth-first search over an adjacency list.
        var neighbours: [String: [String]] = [:]
        for row in linkRows.dropFirst() {
            neighbours[row[0], default: []].append(row[1])
            neighbours[row[1], default: []].append(row[0])
        }
        var component: [String: Int] = [:]
        for (number, start) in neighbours.keys.sorted().enumerated() where component[start] == nil {
            var stack = [start]
            while let node = stack.popLast() {
                guard component[node] == nil else { continue }
                component[node] = number
                stack += neighbours[node] ?? []
            }
        }
        let clusterRows = try String(contentsOfFile: clusters, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(clusterRows[0], ["cluster_id", "source_dataset", "unique_id"])
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        XCTAssertEqual(clusterRows.count - 1, try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM record") }, "every record once")
        let clusterOf = Dictionary(uniqueKeysWithValues: clusterRows.dropFirst().map { ($0[2], $0[0]) })
        // Two records share a cluster exactly when the search put them in one component.
        let linked = component.keys.sorted()
        for (i, a) in linked.enumerated() {
            for b in linked[(i + 1)...].prefix(60) {
                XCTAssertEqual(clusterOf[a] == clusterOf[b], component[a] == component[b], "\(a) and \(b)")
            }
        }
        // A record in no link is a cluster of its own.
        let singles = clusterRows.dropFirst().filter { component[$0[2]] == nil }
        XCTAssertEqual(Set(singles.map { $0[0] }).count, singles.count)
    }
}

/// `clerical import-labels` and `clerical qa quality` through the binary.
final class LabelsAndQualityCommandTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder()
        XCTAssertEqual(try Binary.importFixture(into: queue, band: "0.01:0.999").status, 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func write(_ name: String, _ text: String) -> String {
        let path = folder.appendingPathComponent(name).path
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func decisions() throws -> Int {
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        return try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM decision") ?? 0 }
    }

    /// Labels exported from one queue come back into another as the same final verdicts, by
    /// the named reviewer, with the labelling tool's extra columns ignored and unknown pairs counted.
    func testLabelsRoundTripThroughSplinksTable() throws {
        let load = Process()
        load.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        load.arguments = [queue, "--reviewer", "ana", "--max", "15", "--report", folder.appendingPathComponent("ana.json").path]
        try load.run()
        load.waitUntilExit()
        let exported = folder.appendingPathComponent("labels.csv").path
        XCTAssertEqual(try Binary.run(["export", "labels", queue, exported]).status, 0)

        let other = folder.appendingPathComponent("other.db").path
        XCTAssertEqual(try Binary.importFixture(into: other, band: "0.01:0.999").status, 0)
        // The labelling tool adds columns; a pair the queue lacks is counted, not invented.
        var lines = try String(contentsOfFile: exported, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[0] += ",labeller,timestamp"
        for i in 1..<lines.count { lines[i] += ",ana,2026-12-01T10:00:00Z" }
        lines.append("no-such-record,rec-944-org,1.0,ana,2026-12-01T10:00:00Z")
        lines.append("rec-944-dup-1,rec-944-org,0.5,ana,2026-12-01T10:00:00Z")
        let labels = write("tool.csv", lines.joined(separator: "\n") + "\n")
        let run = try Binary.run(["import-labels", other, labels, "--reviewer", "splink-tool"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("1 not in the queue"), run.stdout)
        XCTAssertTrue(run.stdout.contains("1 unsure"), run.stdout)
        XCTAssertEqual(try Binary.run(["verify", other]).status, 0, "the imported decisions are on the hash chain")

        let again = folder.appendingPathComponent("again.csv").path
        XCTAssertEqual(try Binary.run(["export", "labels", other, again]).status, 0)
        let original = Set(try String(contentsOfFile: exported, encoding: .utf8).split(separator: "\n").dropFirst())
        let reimported = Set(try String(contentsOfFile: again, encoding: .utf8).split(separator: "\n").dropFirst())
        // The unsure label on rec-944 came later, so that pair's final verdict is unsure there.
        XCTAssertEqual(original.filter { !$0.hasPrefix("rec-944-dup-1,rec-944-org") },
                       reimported.filter { !$0.hasPrefix("rec-944-dup-1,rec-944-org") })
        let exportedDecisions = folder.appendingPathComponent("d.csv").path
        XCTAssertEqual(try Binary.run(["export", "decisions", other, exportedDecisions]).status, 0)
        XCTAssertTrue(try String(contentsOfFile: exportedDecisions, encoding: .utf8).contains(",splink-tool,review,"))
    }

    func testBadLabelsGetFileLineAndColumnAndLeaveTheQueueAsItWas() throws {
        let cases: [(String, String, Int32, String)] = [
            ("empty.csv", "", 65, "the file is empty"),
            ("no-score.csv", "unique_id_l,unique_id_r\nrec-944-dup-1,rec-944-org\n", 65, "no column \"clerical_match_score\""),
            ("no-id.csv", "unique_id_l,clerical_match_score\nrec-944-dup-1,1\n", 65, "no column \"unique_id_r\""),
            ("word.csv", "unique_id_l,unique_id_r,clerical_match_score\nrec-944-dup-1,rec-944-org,1\nrec-187-dup-2,rec-187-org,yes\n", 65,
             "word.csv:3:27: clerical_match_score is \"yes\""),
            ("range.csv", "unique_id_l,unique_id_r,clerical_match_score\nrec-944-dup-1,rec-944-org,1.5\n", 65, "range.csv:2:"),
            ("fields.csv", "unique_id_l,unique_id_r,clerical_match_score\nrec-944-dup-1,rec-944-org\n", 65, "fields.csv:2"),
        ]
        for (name, text, status, message) in cases {
            let run = try Binary.run(["import-labels", queue, write(name, text)])
            XCTAssertEqual(run.status, status, "\(name): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(name): \(run.stderr)")
            XCTAssertEqual(try decisions(), 0, "\(name): nothing was written (the first good row neither)")
        }
        let missing = try Binary.run(["import-labels", queue, folder.appendingPathComponent("missing.csv").path])
        XCTAssertEqual(missing.status, 66, missing.stderr)
    }

    func testQualityReportsIntervalsAndStatusCarriesThem() throws {
        // Before any audit the model speaks for the pairs it decided: said first, never a bound.
        let unaudited = try Binary.run(["qa", "quality", queue])
        XCTAssertTrue(unaudited.stdout.contains("not bounded:") && unaudited.stdout.contains("95% if the model is calibrated"), unaudited.stdout)
        let precisionLine = unaudited.stdout.split(separator: "\n").first { $0.contains("precision ") }
        XCTAssertFalse(precisionLine?.contains("95% interval") ?? true, unaudited.stdout)
        let before = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try Binary.run(["qa", "quality", queue, "--json"]).stdout.utf8)) as? [String: Any])
        XCTAssertEqual(before["interval_basis"] as? String, "model")
        XCTAssertGreaterThan(before["audit_verdicts_to_bound_f1"] as? Int ?? 0, 0)

        // A simple random audit: one stratum, so its verdicts speak for every pair the model decided.
        XCTAssertEqual(try Binary.run(["qa", "audit", queue, "--count", "30", "--share", "1", "--stratify", "none"]).status, 0)
        let load = Process()
        load.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        load.arguments = [queue, "--reviewer", "ana", "--max", "40", "--report", folder.appendingPathComponent("ana.json").path]
        try load.run()
        load.waitUntilExit()
        let text = try Binary.run(["qa", "quality", queue])
        XCTAssertEqual(text.status, 0, text.stderr)
        for expected in ["precision", "recall", "F1", "95% interval", "calibration", "blocking never produced"] {
            XCTAssertTrue(text.stdout.contains(expected), "\(expected): \(text.stdout)")
        }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try Binary.run(["qa", "quality", queue, "--json"]).stdout.utf8)) as? [String: Any])
        let precision = try XCTUnwrap(json["precision"] as? [String: Double])
        XCTAssertLessThanOrEqual(precision["low"]!, precision["estimate"]!)
        XCTAssertLessThan(precision["low"]!, precision["high"]!, "never a zero-width interval with pairs left unreviewed")
        XCTAssertGreaterThan(json["audit_verdicts"] as? Int ?? 0, 0)
        XCTAssertEqual(json["interval_basis"] as? String, "design", "every pair the model decided is covered by the audit: \(json)")
        XCTAssertNil(json["audit_verdicts_to_bound_f1"])
        // Thirty audit verdicts leave F1 wider than ±0.005: it says how many more would narrow it.
        let more = try XCTUnwrap(json["audit_verdicts_to_narrow_f1"] as? Int, "\(json)")
        XCTAssertGreaterThan(more, 0)
        XCTAssertTrue(text.stdout.contains("about \(more) more audit verdicts (qa audit --count \(more) --allocation neyman)"), text.stdout)
        let status = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try Binary.run(["status", queue, "--json"]).stdout.utf8)) as? [String: Any])
        let quality = try XCTUnwrap(status["quality"] as? [String: Any])
        XCTAssertEqual((quality["precision"] as? [String: Double])?["estimate"], precision["estimate"])
    }
}
