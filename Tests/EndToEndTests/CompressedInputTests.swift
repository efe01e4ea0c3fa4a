import Foundation
import GRDB
import XCTest

/// Splink's outputs are often kept gzip-compressed (`predictions.csv.gz`): every command that
/// reads a CSV reads the text inside, told by the file's first bytes. (Damaged files and other
/// formats: `ImportBadInputTests`.)
final class CompressedInputTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Every row of the queue's pairs, records and patterns, as text.
    func contents(_ queue: String) throws -> [String] {
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        return try db.read { db in
            try ["pair", "record", "pattern"].flatMap { table in
                try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY id").map { "\(table) \($0)" }
            }
        }
    }

    func testAGzippedPredictionsFileImportsAsThePlainOne() throws {
        let plain = Binary.fixture("splink5-febrl3", "predictions.csv")
        let model = Binary.fixture("splink5-febrl3", "model.json")
        let text = [UInt8](try Data(contentsOf: URL(fileURLWithPath: plain)))
        // Larger than the reader's 1 MiB chunk once inflated, so it takes many reads.
        XCTAssertGreaterThan(text.count, 1 << 20)
        let packed = try write(gzipped(text), "predictions.csv.gz")
        // Two gzip members one after the other (`cat a.gz b.gz`) are one file to gzip, and here.
        let middle = text[(text.count / 2)...].firstIndex(of: UInt8(ascii: "\n"))! + 1
        let members = try write(gzipped(Array(text[..<middle])) + gzipped(Array(text[middle...])), "members.gz")

        let expected = folder.appendingPathComponent("plain.db").path
        XCTAssertEqual(try Binary.run(["import", expected, plain, "--model", model]).status, 0)
        for file in [packed, members] {
            let queue = folder.appendingPathComponent("\(UUID().uuidString).db").path
            let run = try Binary.run(["import", queue, file, "--model", model])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("6583 rows: 6583 pairs added"), run.stdout)
            XCTAssertEqual(try contents(queue), try contents(expected), file)
        }
    }

    func testTruthAndLabelsMayBeGzipped() throws {
        let queue = folder.appendingPathComponent("q.db").path
        XCTAssertEqual(try Binary.importFixture(into: queue).status, 0)
        let truth = Binary.fixture("splink5-febrl3", "truth.csv")
        let packedTruth = try write(gzipped([UInt8](try Data(contentsOf: URL(fileURLWithPath: truth)))), "truth.csv.gz")
        func curve(_ truth: String) throws -> String {
            let run = try Binary.run(["simulate", queue, "--truth", truth, "--decisions", "20", "--seed", "3"])
            XCTAssertEqual(run.status, 0, run.stderr)
            return run.stdout
        }
        XCTAssertEqual(try curve(packedTruth), try curve(truth))

        let labels = "unique_id_l,unique_id_r,clerical_match_score\nrec-944-dup-1,rec-944-org,1.0\nrec-187-dup-2,rec-187-org,0.0\n"
        let packedLabels = try write(gzipped(Array(labels.utf8)), "labels.csv.gz")
        let run = try Binary.run(["import-labels", queue, packedLabels, "--reviewer", "tool"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("2 labels read: 1 match, 1 non-match"), run.stdout)
    }
}
