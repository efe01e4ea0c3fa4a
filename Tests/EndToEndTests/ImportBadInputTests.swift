import Foundation
import XCTest

/// Every bad input gets one clear message naming file, line and column, the right exit
/// code, and leaves the queue exactly as it was.
final class ImportBadInputTests: XCTestCase {
    var folder: URL!
    let model = Binary.fixture("splink5-febrl3", "model.json")
    var lines: [String] = []

    override func setUpWithError() throws {
        folder = temporaryFolder()
        lines = try String(contentsOfFile: Binary.fixture("splink5-febrl3", "predictions.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    var header: [String] { lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init) }

    func write(_ text: String, _ name: String = "bad.csv") throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func writeBytes(_ bytes: [UInt8], _ name: String = "bad.csv") throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// A good header and first rows, with row `row` (1-based data row) passed through `edit`.
    func predictions(rows: Int = 5, editing row: Int? = nil, _ edit: (inout [String]) -> Void = { _ in }) -> String {
        var text = [lines[0]]
        for i in 1...rows {
            var fields = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if i == row { edit(&fields) }
            text.append(fields.joined(separator: ","))
        }
        return text.joined(separator: "\n") + "\n"
    }

    func column(_ name: String) -> Int { header.firstIndex(of: name)! }

    /// Asserts the import fails with `status` and a message holding each of `phrases`, both
    /// into a new queue (which must not be left behind) and into an existing one (unchanged).
    func assertRefused(_ file: String, model: String? = nil, status: Int32 = 65, _ phrases: String...,
                       line: UInt = #line) throws {
        let fresh = folder.appendingPathComponent("fresh-\(UUID().uuidString).db").path
        var arguments = ["import", fresh, file]
        if let model { arguments += ["--model", model] }
        let run = try Binary.run(arguments)
        XCTAssertEqual(run.status, status, run.stderr, line: line)
        XCTAssertTrue(run.stdout.isEmpty, run.stdout, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "one message: \(run.stderr)", line: line)
        for phrase in phrases { XCTAssertTrue(run.stderr.contains(phrase), "«\(phrase)» not in: \(run.stderr)", line: line) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh), "a failed import left a new queue behind", line: line)

        // Into an existing queue: refused the same way, and nothing changes.
        let existing = folder.appendingPathComponent("existing.db").path
        if !FileManager.default.fileExists(atPath: existing) {
            let good = try write(predictions(rows: 20), "good.csv")
            XCTAssertEqual(try Binary.run(["import", existing, good, "--model", self.model]).status, 0, line: line)
        }
        let before = try Binary.run(["status", existing, "--json"]).stdout
        let bytesBefore = try Data(contentsOf: URL(fileURLWithPath: existing))
        var again = ["import", existing, file]
        if let model { again += ["--model", model] }
        let second = try Binary.run(again)
        XCTAssertEqual(second.status, status, second.stderr, line: line)
        XCTAssertEqual(try Binary.run(["status", existing, "--json"]).stdout, before, "queue changed", line: line)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: existing)), bytesBefore, "queue file changed", line: line)
    }

    func testMissingRequiredColumn() throws {
        let text = predictions().replacingOccurrences(of: "match_probability,", with: "probability,")
        try assertRefused(write(text), model: model, "bad.csv:1:", "missing required column \"match_probability\"")
    }

    func testDuplicateColumn() throws {
        let text = predictions().replacingOccurrences(of: "surname_r,", with: "surname_l,")
        try assertRefused(write(text), "bad.csv:1:", "column \"surname_l\" appears twice")
    }

    func testRaggedRow() throws {
        let text = predictions(editing: 3) { $0.removeLast() }
        try assertRefused(write(text), model: model, "bad.csv:4:", "has \(header.count - 1) fields but the header has \(header.count)")
    }

    func testUnterminatedQuote() throws {
        let text = predictions(editing: 2) { $0[self.column("surname_l")] = "\"donaldson" }
        let fields: [String] = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let expectedColumn = fields.prefix(column("surname_l")).map { $0.count + 1 }.reduce(1, +)
        try assertRefused(write(text), model: model, "bad.csv:3:\(expectedColumn):", "unterminated quoted field")
    }

    func testNonNumericGamma() throws {
        let text = predictions(editing: 4) { $0[self.column("gamma_surname")] = "three" }
        try assertRefused(write(text), model: model, "bad.csv:5:", "gamma_surname: expected a whole-number gamma value, found \"three\"")
    }

    func testNonNumericWeight() throws {
        let text = predictions(editing: 1) { $0[self.column("mw_suburb")] = "1.2.3" }
        try assertRefused(write(text), model: model, "bad.csv:2:", "mw_suburb: expected a number, found \"1.2.3\"")
        let weight = predictions(editing: 1) { $0[0] = "heavy" }
        try assertRefused(write(weight, "weight.csv"), model: model, "weight.csv:2:1:", "match_weight: expected a number")
    }

    func testProbabilityOutsideZeroOne() throws {
        let text = predictions(editing: 5) { $0[1] = "1.5" }
        try assertRefused(write(text), model: model, "bad.csv:6:", "match_probability is 1.5; a probability must lie in [0, 1]")
    }

    func testInvalidUTF8() throws {
        var bytes = Array(predictions(rows: 3).utf8)
        let secondRowStart = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }[1] + 1
        let comma = bytes[secondRowStart...].firstIndex(of: UInt8(ascii: ","))!
        bytes.insert(0xFF, at: comma)  // an invalid byte at the end of the first field
        try assertRefused(writeBytes(bytes), model: model, "bad.csv:3:1:", "invalid UTF-8")
    }

    /// A gzip file cut short, or whose check sum does not match, is refused whole: the rows it
    /// did give are not imported.
    func testDamagedGzipFiles() throws {
        let packed = try gzipped(Array(predictions(rows: 200).utf8))
        try assertRefused(writeBytes(Array(packed.prefix(packed.count / 2)), "cut.csv.gz"), model: model,
                          "cut.csv.gz: the gzip data ends early: the file is truncated")
        var wrongCheck = packed
        wrongCheck[wrongCheck.count - 8] ^= 0xFF  // the CRC-32 of the text, in the trailer
        try assertRefused(writeBytes(wrongCheck, "crc.csv.gz"), model: model,
                          "crc.csv.gz: not valid gzip data (incorrect data check): the file is damaged")
    }

    /// Formats that are not CSV text are named, with what to do, rather than read as bad text.
    func testOtherCompressionsAndParquetAreNamed() throws {
        let junk = Array(repeating: UInt8(0x41), count: 64)
        try assertRefused(writeBytes([0x28, 0xB5, 0x2F, 0xFD] + junk, "p.csv.zst"), model: model, "p.csv.zst: is compressed with zstd", "zstd -d")
        try assertRefused(writeBytes([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00] + junk, "p.csv.xz"), model: model, "p.csv.xz: is compressed with xz")
        try assertRefused(writeBytes(Array("BZh91AY&SY".utf8) + junk, "p.csv.bz2"), model: model, "p.csv.bz2: is compressed with bzip2")
        try assertRefused(writeBytes([0x50, 0x4B, 0x03, 0x04] + junk, "p.zip"), model: model, "p.zip: is a zip archive")
        try assertRefused(writeBytes(Array("PAR1".utf8) + junk, "p.parquet"), model: model, "p.parquet: is a Parquet file: clerical reads CSV")
    }

    func testEmptyFile() throws {
        try assertRefused(write(""), model: model, "bad.csv:", "the file is empty")
    }

    func testHeaderOnly() throws {
        try assertRefused(write(lines[0] + "\n"), model: model, "bad.csv", "has a header but no rows")
    }

    func testModelThatIsNotASplinkModel() throws {
        let notAModel = try write("{\"hello\": [1, 2, 3]}", "model.json")
        try assertRefused(write(predictions()), model: notAModel, "model.json", "not a Splink model JSON")
        let notJSON = try write("link_type: dedupe_only\n", "model.yaml")
        try assertRefused(write(predictions()), model: notJSON, "model.yaml", "not valid JSON")
    }

    func testGammaNotInTheModel() throws {
        let text = predictions(editing: 2) { $0[self.column("gamma_postcode")] = "3" }
        try assertRefused(write(text), model: model, "bad.csv:3:", "gamma_postcode: gamma 3 is not a level of comparison \"postcode\" (its levels: 2, 1, 0, -1)")
    }

    func testModelOfOtherComparisons() throws {
        let text = predictions().replacingOccurrences(of: "gamma_state", with: "gamma_region")
        try assertRefused(write(text), model: model, "gamma_region is not a comparison of the model")
    }

    func testMissingFilesExit66() throws {
        try assertRefused(folder.appendingPathComponent("nowhere.csv").path, model: model, status: 66, "nowhere.csv: no such file")
        try assertRefused(write(predictions()), model: folder.appendingPathComponent("nowhere.json").path, status: 66, "nowhere.json: no such file")
    }

    func testQueuePathThatIsNotAQueue() throws {
        let good = try write(predictions())
        let text = try write("just some notes\n", "notes.txt")
        let run = try Binary.run(["import", text, good, "--model", model])
        XCTAssertEqual(run.status, 65)
        XCTAssertTrue(run.stderr.contains("notes.txt: not a clerical queue"), run.stderr)
        XCTAssertEqual(try String(contentsOfFile: text, encoding: .utf8), "just some notes\n")

        let other = folder.appendingPathComponent("other.db").path
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["sqlite3", other, "CREATE TABLE t(x); INSERT INTO t VALUES (1);"]
        try sqlite.run(); sqlite.waitUntilExit()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: other))
        let second = try Binary.run(["import", other, good, "--model", model])
        XCTAssertEqual(second.status, 65)
        XCTAssertTrue(second.stderr.contains("not a clerical queue (a SQLite database of something else)"), second.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: other)), bytes)

        let status = try Binary.run(["status", folder.appendingPathComponent("missing.db").path])
        XCTAssertEqual(status.status, 66)
        XCTAssertTrue(status.stderr.contains("no such queue file"), status.stderr)
    }

    func testFileThatDoesNotFitTheQueue() throws {
        let existing = folder.appendingPathComponent("link.db").path
        XCTAssertEqual(try Binary.run(["import", existing, Binary.fixture("splink5-link-small", "predictions.csv")]).status, 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: existing))
        let run = try Binary.run(["import", existing, try write(predictions())])
        XCTAssertEqual(run.status, 65)
        XCTAssertTrue(run.stderr.contains("is a dedupe_only job but the queue holds a link_only job"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: existing)), bytes)
    }

    func testBadBandIsAUsageError() throws {
        let run = try Binary.run(["import", folder.appendingPathComponent("q.db").path, try write(predictions()), "--review-probability", "0.9:0.1"])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("LOW must be less than HIGH"), run.stderr)
    }
}
