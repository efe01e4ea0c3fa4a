import Foundation
import GRDB
import XCTest

/// reestimate, export and simulate, run as a quality lead would.
final class EstimationCommandTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }
    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func importFixture(_ name: String = "splink5-febrl3", band: String = "0.001:0.999999") throws {
        let run = try Binary.importFixture(name, into: queue, band: band)
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    func modelVersions() throws -> Int {
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        return try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM model_version") ?? 0 }
    }

    func testReestimateReportsWhatChangedAndStoresAVersion() throws {
        try importFixture()
        let text = try Binary.run(["reestimate", queue])
        XCTAssertEqual(text.status, 0, text.stderr)
        for expected in ["Model version 2 (from 1)", "λ          0.000383734 →", "Exact match on soc_sec_id", "Review band (probability 0.001:0.999999)",
                         "Suggested thresholds", "review band"] {
            XCTAssertTrue(text.stdout.contains(expected), "\(expected) in\n\(text.stdout)")
        }
        let json = try Binary.run(["reestimate", queue, "--json", "--fix-u", "--target-fmr", "0.05"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        for key in ["model_version", "previous_model_version", "lambda_before", "lambda_after", "iterations", "converged",
                    "log_likelihood", "labels", "pairs", "patterns", "levels", "band", "thresholds", "largest_weight_change", "fixed_u"] {
            XCTAssertNotNil(report[key], key)
        }
        XCTAssertEqual(report["model_version"] as? Int, 3)
        XCTAssertEqual(report["fixed_u"] as? Bool, true)
        let levels = try XCTUnwrap(report["levels"] as? [[String: Any]])
        for level in levels {
            let before = level["before"] as! [String: Any], after = level["after"] as! [String: Any]
            XCTAssertEqual(before["u"] as? Double, after["u"] as? Double, "--fix-u keeps u")
        }
        XCTAssertEqual((report["thresholds"] as? [String: Any])?["target_false_match_rate"] as? Double, 0.05)
        XCTAssertEqual(try modelVersions(), 3)
        let status = try Binary.run(["status", queue])
        XCTAssertTrue(status.stdout.contains("reestimated"), status.stdout)
    }

    func testBadFlagsAndBadQueuesLeaveTheQueueAsItWas() throws {
        try importFixture()
        let before = try Data(contentsOf: URL(fileURLWithPath: queue))
        for (arguments, status) in [
            (["reestimate", queue, "--max-iterations", "0"], Int32(64)),
            (["reestimate", queue, "--target-fmr", "1.5"], 64),
            (["reestimate", queue, "--tolerance", "-1"], 64),
            (["reestimate", queue, "--every", "-3"], 64),
            (["reestimate", folder.appendingPathComponent("missing.db").path], 66),
            (["simulate", queue, "--truth", Binary.fixture("splink5-febrl3", "truth.csv"), "--order", "sideways"], 64),
            (["simulate", queue, "--truth", Binary.fixture("splink5-febrl3", "truth.csv"), "--error-rate", "2"], 64),
            (["simulate", queue, "--truth", folder.appendingPathComponent("none.csv").path], 66),
            (["export", "decisions", queue, folder.appendingPathComponent("d.xlsx").path], 64),
            (["export", "labels", queue, "/proc/no-such-dir/labels.csv"], 73),
        ] {
            let run = try Binary.run(arguments)
            XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)")
            XCTAssertFalse(run.stderr.isEmpty, "\(arguments) says why")
            XCTAssertFalse(run.stderr.contains("Fatal error"), run.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: queue)), before)

        let notAQueue = folder.appendingPathComponent("notes.txt").path
        try "hello".write(toFile: notAQueue, atomically: true, encoding: .utf8)
        let run = try Binary.run(["reestimate", notAQueue])
        XCTAssertEqual(run.status, 65, run.stderr)
        XCTAssertEqual(try String(contentsOfFile: notAQueue, encoding: .utf8), "hello")
    }

    func testExportsWriteTheirFiles() throws {
        try importFixture()
        let labels = folder.appendingPathComponent("labels.csv").path
        let decisions = folder.appendingPathComponent("decisions.jsonl").path
        let model = folder.appendingPathComponent("model.json").path
        XCTAssertEqual(try Binary.run(["export", "labels", queue, labels]).stdout, "Wrote 0 labels to \(labels)\n")
        XCTAssertEqual(try String(contentsOfFile: labels, encoding: .utf8), "unique_id_l,unique_id_r,clerical_match_score\n")
        XCTAssertEqual(try Binary.run(["export", "decisions", queue, decisions]).status, 0)
        let run = try Binary.run(["export", "model", queue, model, "--include-u"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("not Splink's random-pair u"), run.stdout)
    }

    /// The exported model loads in Splink itself, where python3 has splink installed.
    func testTheExportedModelLoadsInSplink() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import splink, duckdb"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil, ({ probe.waitUntilExit(); return probe.terminationStatus == 0 })() else {
            throw XCTSkip("python3 with splink and duckdb is not installed (pip install splink): the exported model was not loaded in Splink")
        }
        try importFixture()
        XCTAssertEqual(try Binary.run(["reestimate", queue]).status, 0)
        let model = folder.appendingPathComponent("model.json").path
        XCTAssertEqual(try Binary.run(["export", "model", queue, model]).status, 0)

        let load = Process()
        load.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        load.arguments = ["python3", Binary.checkout.appendingPathComponent("Tests/EndToEndTests/Scripts/load_splink_model.py").path, model]
        let out = Pipe()
        load.standardOutput = out
        load.standardError = out
        try load.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        load.waitUntilExit()
        XCTAssertEqual(load.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("loaded 8 comparisons with the exported m"), output)
    }

    func testSimulatePrintsALearningCurve() throws {
        try importFixture()
        let run = try Binary.run(["simulate", queue, "--truth", Binary.fixture("splink5-febrl3", "truth.csv"),
                                  "--decisions", "60", "--reestimate-every", "30", "--reviewers", "2", "--seed", "7", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let steps = try XCTUnwrap(report["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["verdicts"] as? Int }, [0, 30, 60])
        for step in steps {
            for key in ["precision", "recall", "f1", "largest_weight_change", "model_version"] { XCTAssertNotNil(step[key], key) }
        }
        XCTAssertEqual(try modelVersions(), 1, "the simulation works on a copy")
        let text = try Binary.run(["simulate", queue, "--truth", Binary.fixture("splink5-febrl3", "truth.csv"), "--decisions", "10"])
        XCTAssertTrue(text.stdout.contains("verdicts  model  precision    recall        F1"), text.stdout)
    }

    /// With --every 2, the second verdict re-estimates in the background while the reviewer
    /// carries on; the screen never waits for it.
    func testReviewReestimatesAutomatically() throws {
        try importFixture()
        XCTAssertEqual(try Binary.run(["reestimate", queue, "--every", "2"]).status, 0)
        let tmux = try TmuxSession("\(Binary.clerical.path) review \(queue)")
        XCTAssertTrue(tmux.waitFor("pair 1 of"))
        tmux.send("m"); XCTAssertTrue(tmux.waitFor("Saved: match"))
        tmux.send("n"); XCTAssertTrue(tmux.waitFor("Saved: non-match"))
        let deadline = Date().addingTimeInterval(10)
        while try modelVersions() < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(try modelVersions(), 2)
        tmux.send("m"); XCTAssertTrue(tmux.waitFor("Saved: match"))
        tmux.send("q"); XCTAssertTrue(tmux.waitFor("EXIT=0"))
    }
}

/// `clerical verify`, on a queue edited behind the tool's back with sqlite3.
final class VerifyCommandTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }
    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func sqlite3(_ sql: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3", queue, sql]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func testVerifyFindsATamperedVerdict() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
            throw XCTSkip("sqlite3 is not installed (apt-get install sqlite3); .ci/run installs it")
        }
        let fixture = Binary.checkout.appendingPathComponent("Tests/ClericalTUITests/Fixtures")
        XCTAssertEqual(try Binary.run(["import", queue, fixture.appendingPathComponent("predictions.csv").path,
                                       "--model", fixture.appendingPathComponent("model.json").path, "--review-probability", "0:1"]).status, 0)
        let tmux = try TmuxSession("\(Binary.clerical.path) review \(queue)")
        XCTAssertTrue(tmux.waitFor("pair 1 of"))
        tmux.send("m"); XCTAssertTrue(tmux.waitFor("Saved: match"))
        tmux.send("n"); XCTAssertTrue(tmux.waitFor("Saved: non-match"))
        tmux.send("q"); XCTAssertTrue(tmux.waitFor("EXIT=0"))

        let sound = try Binary.run(["verify", queue])
        XCTAssertEqual(sound.status, 0, sound.stdout + sound.stderr)
        XCTAssertTrue(sound.stdout.contains("2 decisions and 0 reveals chained"), sound.stdout)

        XCTAssertNotEqual(try sqlite3("UPDATE decision SET verdict = 'match' WHERE id = 2"), 0, "the trigger refuses")
        XCTAssertEqual(try sqlite3("DROP TRIGGER decision_is_append_only_update; UPDATE decision SET verdict = 'match' WHERE id = 2"), 0)
        let tampered = try Binary.run(["verify", queue])
        XCTAssertEqual(tampered.status, 65)
        XCTAssertTrue(tampered.stdout.contains("decision 2: its content does not match its hash"), tampered.stdout)
        XCTAssertTrue(tampered.stdout.contains("decision_is_append_only_update is missing"), tampered.stdout)
        XCTAssertTrue(tampered.stderr.contains("cannot be trusted"), tampered.stderr)
    }
}
