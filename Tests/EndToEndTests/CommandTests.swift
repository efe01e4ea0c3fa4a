import Foundation
import XCTest

/// The commands a new user runs first: import, status, demo.
final class CommandTests: XCTestCase {
    var folder: URL!
    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testImportThenStatus() throws {
        let queue = folder.appendingPathComponent("q.db").path
        let run = try Binary.run(["import", queue, Binary.fixture("splink4-febrl3", "predictions.csv"),
                                  "--model", Binary.fixture("splink4-febrl3", "model.json")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("6581 rows: 6581 pairs added, 0 already in the queue"), run.stdout)
        XCTAssertEqual(run.stderr, "", "no progress bar when stderr is not a terminal")

        let status = try Binary.run(["status", queue])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("Pairs     6,581 in all: 26 pending"), status.stdout)
        XCTAssertTrue(status.stdout.contains("Exact match on soc_sec_id"), status.stdout)
    }

    /// The JSON keys are documented in README.md; scripts depend on them.
    func testStatusJSONHasTheDocumentedKeys() throws {
        let queue = folder.appendingPathComponent("q.db").path
        XCTAssertEqual(try Binary.run(["import", queue, Binary.fixture("splink5-link-small", "predictions.csv"),
                                       "--model", Binary.fixture("splink5-link-small", "model.json")]).status, 0)
        let run = try Binary.run(["status", queue, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(Set(json.keys), ["queue", "link_type", "review_band", "pairs", "pending_by_probability", "records",
                                        "patterns", "comparisons", "model_versions", "decisions", "team", "quality"])
        let pairs = json["pairs"] as! [String: Int]
        XCTAssertEqual(pairs, ["total": 5033, "auto": 5029, "pending": 4, "claimed": 0, "decided": 0, "disputed": 0])
        XCTAssertEqual(json["link_type"] as? String, "link_only")
        XCTAssertEqual(json["records"] as? Int, 10000)
        let bins = json["pending_by_probability"] as! [[String: Any]]
        XCTAssertEqual(bins.count, 10)
        XCTAssertEqual(bins.map { $0["count"] as! Int }.reduce(0, +), 4)
        let level = ((json["comparisons"] as! [[String: Any]])[0]["levels"] as! [[String: Any]])[1]
        XCTAssertEqual(Set(level.keys), ["gamma", "label", "is_null", "m", "u", "weight"])
        let version = (json["model_versions"] as! [[String: Any]])[0]
        XCTAssertEqual(version["origin"] as? String, "splink-json")
        let decisions = json["decisions"] as! [String: Any]
        XCTAssertEqual(decisions["total"] as? Int, 0)
        XCTAssertEqual((decisions["by_reviewer"] as! [Any]).count, 0)
    }

    func testDemoImportsTheSampleQueue() throws {
        let queue = folder.appendingPathComponent("demo.db").path
        let run = try Binary.run(["demo", "--queue", queue, "--no-review"], in: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("pending review"), run.stdout)
        let status = try Binary.run(["status", queue, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any]
        XCTAssertGreaterThan((json["pairs"] as! [String: Int])["pending"]!, 20)
        let again = try Binary.run(["demo", "--queue", queue, "--no-review"])
        XCTAssertEqual(again.status, 73, "the demo never overwrites a queue")
    }
}
