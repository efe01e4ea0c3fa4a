import Foundation
import GRDB
import XCTest

/// Blind second review from sampling to adjudication, as a team would run it: ana reviews,
/// a quality lead samples, bo second-reviews in his normal flow, quinn adjudicates.
final class QualityTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }
    let fixtures = Binary.checkout.appendingPathComponent("Tests/ClericalTUITests/Fixtures")

    override func setUpWithError() throws {
        folder = temporaryFolder()
        XCTAssertEqual(try Binary.run(["import", queue, fixtures.appendingPathComponent("predictions.csv").path,
                                       "--model", fixtures.appendingPathComponent("model.json").path,
                                       "--review-probability", "0:1"]).status, 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func load(_ reviewer: String) throws {
        let process = Process()
        process.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        process.arguments = [queue, "--reviewer", reviewer, "--report", folder.appendingPathComponent("\(reviewer).json").path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func decisions() throws -> [(kind: String, reviewer: String, verdict: String?)] {
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        return try db.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, reviewer, verdict FROM decision ORDER BY id").map { ($0["kind"], $0["reviewer"], $0["verdict"]) }
        }
    }

    func testSampleSecondReviewReportAndAdjudicate() throws {
        try load("ana")  // ana decides all five pairs as the model leans
        let firstVerdicts = try decisions()
        XCTAssertEqual(firstVerdicts.count, 5)

        let sample = try Binary.run(["qa", "sample", queue, "--count", "5", "--stratify", "reviewer", "--seed", "4"])
        XCTAssertEqual(sample.status, 0, sample.stderr)
        XCTAssertTrue(sample.stdout.contains("Sampled 5 of 5 decided pairs"), sample.stdout)

        // bo meets the sampled pairs first, blind, and says non-match to each.
        let tmux = try TmuxSession("\(Binary.clerical.path) review \(queue)", environment: ["CLERICAL_ACCOUNT": "bo"])
        for _ in 0..<5 {
            XCTAssertTrue(tmux.waitFor("SECOND REVIEW"))
            XCTAssertFalse(tmux.capture().contains("match weight"), "blind")
            tmux.send("n")
            XCTAssertTrue(tmux.waitFor("Saved: non-match"))
        }
        XCTAssertTrue(tmux.waitFor("Nothing left to review"))
        tmux.send("q")
        XCTAssertTrue(tmux.waitFor("EXIT=0"))

        let sampled = try decisions().filter { $0.kind == "second-review" }
        XCTAssertEqual(sampled.count, 5)
        XCTAssertTrue(sampled.allSatisfy { $0.reviewer == "bo" && $0.verdict == "non-match" })
        let firstMatches = firstVerdicts.filter { $0.verdict == "match" }.count
        XCTAssertGreaterThan(firstMatches, 0, "the fixture has pairs the model leans to match")

        let reportRun = try Binary.run(["qa", "report", queue, "--json"])
        XCTAssertEqual(reportRun.status, 0, reportRun.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(reportRun.stdout.utf8)) as? [String: Any])
        let overall = try XCTUnwrap(report["overall"] as? [String: Any])
        XCTAssertEqual(overall["pairs"] as? Int, 5)
        let confusion = try XCTUnwrap(overall["confusion"] as? [[Int]])
        XCTAssertEqual(confusion[0][1] + confusion[1][1], 5, "every second verdict was non-match")
        XCTAssertEqual(confusion[0][1], firstMatches)
        let disputes = try XCTUnwrap(report["disputes"] as? [[String: Any]])
        XCTAssertEqual(disputes.count, confusion[0][1], "each match ana gave and bo did not is a dispute")
        XCTAssertEqual(report["awaiting_second_review"] as? Int, 0)
        XCTAssertNotNil((report["by_reviewer"] as? [[String: Any]])?.first { $0["name"] as? String == "ana" })
        let text = try Binary.run(["qa", "report", queue])
        XCTAssertTrue(text.stdout.contains("Cohen's kappa"), text.stdout)

        XCTAssertFalse(disputes.isEmpty)
        // quinn settles each dispute as a match; the adjudication is final.
        let lead = try TmuxSession("\(Binary.clerical.path) review \(queue) --adjudicate", environment: ["CLERICAL_ACCOUNT": "quinn"])
        for _ in disputes {
            XCTAssertTrue(lead.waitFor("ADJUDICATION"))
            XCTAssertTrue(lead.waitFor("1st ana: match"))
            lead.send("m")
            XCTAssertTrue(lead.waitFor("Saved: match"))
        }
        XCTAssertTrue(lead.waitFor("Nothing left to review"))
        lead.send("q")
        XCTAssertTrue(lead.waitFor("EXIT=0"))
        XCTAssertEqual(try decisions().filter { $0.kind == "adjudication" }.count, disputes.count)

        let labels = folder.appendingPathComponent("labels.csv").path
        XCTAssertEqual(try Binary.run(["export", "labels", queue, labels]).status, 0)
        let rows = try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.filter { $0.hasSuffix(",1.0") }.count, firstMatches, "adjudicated matches count as matches")
        XCTAssertEqual(try Binary.run(["verify", queue]).status, 0)
    }
}
