import Foundation
import GRDB
import XCTest

/// The PostgreSQL backend as a user meets it: `clerical copy` and `clerical verify` against a
/// real server (`CLERICAL_TEST_POSTGRES`, a URL without a schema; `.ci/run` starts one). With
/// `CLERICAL_REQUIRE_POSTGRES=1`, as in CI, a server that cannot be reached fails every test here;
/// without a server configured, they are skipped and say so.
final class PostgresTests: XCTestCase {
    var folder: URL!
    var server: String!
    var schemas: [String] = []
    var roles: [String] = []

    override func setUpWithError() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["CLERICAL_TEST_POSTGRES"], !url.isEmpty else {
            if environment["CLERICAL_REQUIRE_POSTGRES"] == "1" {
                XCTFail("CLERICAL_REQUIRE_POSTGRES=1 but CLERICAL_TEST_POSTGRES is not set: the PostgreSQL tests cannot run")
                throw XCTSkip("no server")
            }
            throw XCTSkip("CLERICAL_TEST_POSTGRES is not set: no PostgreSQL server to test against (.ci/run starts one)")
        }
        server = url
        let reachable = try psql("SELECT 1")
        XCTAssertEqual(reachable.status, 0, "the test server \(url) cannot be reached: \(reachable.stderr)")
        if reachable.status != 0 { throw XCTSkip("unreachable") }
        folder = temporaryFolder()
    }

    override func tearDownWithError() throws {
        for schema in schemas { _ = try? psql("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        for role in roles { _ = try? psql("DROP OWNED BY \(role); DROP ROLE IF EXISTS \(role)") }
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// A queue URL in a fresh schema of the test server, dropped after the test.
    func newQueueURL() -> String {
        let schema = "clerical_test_\(UUID().uuidString.prefix(8).lowercased())"
        schemas.append(schema)
        return url(schema: schema)
    }

    func url(schema: String, server: String? = nil) -> String {
        let base = server ?? self.server!
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    /// Runs SQL with psql on the test server (the tool's back door).
    @discardableResult
    func psql(_ sql: String) throws -> ClericalRun {
        let base = server.components(separatedBy: "?")[0]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", base, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ClericalRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                           stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A queue file with review verdicts, a second-review sample and an audit, so every kind
    /// of table the copy moves has rows.
    func workedQueue() throws -> String {
        let queue = folder.appendingPathComponent("queue.db").path
        XCTAssertEqual(try Binary.importFixture(into: queue).status, 0)
        let report = folder.appendingPathComponent("load.json").path
        let load = try Binary.run([queue, "--reviewer", "ana", "--report", report, "--max", "40"], tool: "clerical-load")
        XCTAssertEqual(load.status, 0, load.stderr)
        XCTAssertEqual(try Binary.run(["qa", "sample", queue, "--count", "5"]).status, 0)
        let audit = try Binary.run(["qa", "audit", queue, "--count", "20"])
        XCTAssertEqual(audit.status, 0, audit.stderr)
        let more = try Binary.run([queue, "--reviewer", "ben", "--report", report, "--max", "10"], tool: "clerical-load")
        XCTAssertEqual(more.status, 0, more.stderr)
        return queue
    }

    func statusJSON(_ queue: String) throws -> NSDictionary {
        let status = try Binary.run(["status", queue, "--json"])
        XCTAssertEqual(status.status, 0, status.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let copy = NSMutableDictionary(dictionary: object)
        copy.removeObject(forKey: "queue")  // the file's name
        // The team's estimated finish is read off the clock (now + pace × pairs left).
        if let team = object["team"] as? [String: Any] {
            let rest = NSMutableDictionary(dictionary: team)
            rest.removeObject(forKey: "estimated_finish")
            copy["team"] = rest
        }
        return copy
    }

    /// A queue file of the fixture in which ana has given `count` first verdicts.
    func fileWithFirstVerdicts(_ name: String, count: Int) throws -> String {
        let file = folder.appendingPathComponent(name).path
        XCTAssertEqual(try Binary.importFixture(into: file).status, 0)
        let load = try Binary.run([file, "--reviewer", "ana", "--report", folder.appendingPathComponent("ana.json").path,
                                   "--max", String(count)], tool: "clerical-load")
        XCTAssertEqual(load.status, 0, load.stderr)
        return file
    }

    func decisions(in queue: String) throws -> Int {
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        return try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM decision") ?? 0 }
    }

    /// The chain head `verify` printed, or nil when it printed none.
    func head(_ verify: ClericalRun) -> String? {
        guard let range = verify.stdout.range(of: ", head ") else { return nil }
        return String(verify.stdout[range.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Copy

    func testCopyRoundTripsThroughPostgreSQLWithTheSameStatusAndChain() throws {
        let queue = try workedQueue()
        let server = newQueueURL()
        let decided = try decisions(in: queue)
        XCTAssertGreaterThan(decided, 30)
        let there = try Binary.run(["copy", queue, server])
        XCTAssertEqual(there.status, 0, there.stderr)
        XCTAssertTrue(there.stdout.contains("\(decided) decisions"), there.stdout)

        let back = folder.appendingPathComponent("back.db").path
        let home = try Binary.run(["copy", server, back])
        XCTAssertEqual(home.status, 0, home.stderr)

        XCTAssertEqual(try statusJSON(back), try statusJSON(queue), "status --json is the same after the round trip")
        XCTAssertEqual(try statusJSON(server), try statusJSON(queue),
                       "status on the server (team figures and linkage quality included) reads as the file's")
        let text = try Binary.run(["status", server])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("Queue     postgresql://"), text.stdout)
        for report in [["qa", "quality"], ["qa", "report"]] {
            let onFile = try Binary.run(report + [queue, "--json"]), onServer = try Binary.run(report + [server, "--json"])
            XCTAssertEqual(onServer.status, 0, onServer.stderr)
            XCTAssertEqual(onServer.stdout, onFile.stdout, "\(report.joined(separator: " ")) reads the same on the server")
        }
        let agreement = try Binary.run(["qa", "report", server, "--json"])
        let sampled = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(agreement.stdout.utf8)) as? [String: Any])["sampled"]
        XCTAssertEqual(sampled as? Int, 5, "the five second reviews the file had")
        let original = try Binary.run(["verify", queue]), onServer = try Binary.run(["verify", server]), copied = try Binary.run(["verify", back])
        for run in [original, onServer, copied] { XCTAssertEqual(run.status, 0, run.stdout + run.stderr) }
        XCTAssertEqual(head(original)?.count, 64, "verify prints the chain's head hash")
        XCTAssertEqual(head(onServer), head(original), "the server's chain ends on the same hash")
        XCTAssertEqual(head(copied), head(original), "the copy back ends on the same hash")
        XCTAssertTrue(onServer.stdout.contains("\(decided) decisions"), onServer.stdout)

        // The pattern tallies the trigger rebuilt on the way are the ones the file kept.
        let tallies = { (path: String) throws -> [[Int64]] in
            let db = try DatabaseQueue(path: path)
            defer { try? db.close() }
            return try db.read { try Row.fetchAll($0, sql: "SELECT * FROM pattern_verdicts ORDER BY pattern_id").map { row in
                (0..<row.count).map { row[$0] as Int64 } } }
        }
        XCTAssertEqual(try tallies(back), try tallies(queue))
        let serverTallies = try psql("SELECT count(*), sum(matches), sum(non_matches) FROM \(schemas[0]).pattern_verdicts")
        let fileTallies = try tallies(queue)
        XCTAssertEqual(serverTallies.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                       "\(fileTallies.count)|\(fileTallies.reduce(0) { $0 + $1[1] })|\(fileTallies.reduce(0) { $0 + $1[2] })")
    }

    /// COPY's text format escapes tab, newline, carriage return and backslash; everything else,
    /// other languages' letters included, goes byte for byte.
    /// A connection service file, as a secure research service hands one out, names the server
    /// for clerical as for psql: `service=NAME` in the URL, or `PGSERVICE`.
    func testAConnectionServiceNamesTheServerAsForPsql() throws {
        let parts = try XCTUnwrap(URLComponents(string: server))
        var lines = ["# written by the test, as a platform's administrator would", "[clerical_e2e]",
                     "host=\(parts.host ?? "localhost")", "port=\(parts.port ?? 5432)", "dbname=\(parts.path.dropFirst())",
                     "user=\(parts.user ?? "postgres")", "keepalives=1"]
        for item in parts.queryItems ?? [] { lines.append("\(item.name)=\(item.value ?? "")") }
        let services = folder.appendingPathComponent("pg_service.conf").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: services, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["PGSERVICEFILE"] = services
        ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE"].forEach { environment[$0] = nil }

        let schema = "clerical_test_\(UUID().uuidString.prefix(8).lowercased())"
        schemas.append(schema)
        let queue = folder.appendingPathComponent("q.db").path
        XCTAssertEqual(try Binary.importFixture(into: queue).status, 0)
        let copy = try Binary.run(["copy", queue, "postgresql:///?service=clerical_e2e&schema=\(schema)"], environment: environment)
        XCTAssertEqual(copy.status, 0, copy.stderr)
        environment["PGSERVICE"] = "clerical_e2e"
        let status = try Binary.run(["status", "postgresql://?schema=\(schema)", "--json"], environment: environment)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("\"pairs\""), status.stdout)
        // The same file is psql's: the service is libpq's, not clerical's own.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "service=clerical_e2e", "-qAt", "-c", "SELECT count(*) FROM \(schema).pair"]
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let counted = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(counted.trimmingCharacters(in: .whitespacesAndNewlines), "6583")

        environment["PGSERVICE"] = "nowhere"
        let missing = try Binary.run(["status", "postgresql://?schema=\(schema)"], environment: environment)
        XCTAssertEqual(missing.status, 78, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("definition of service \"nowhere\" not found"), missing.stderr)
    }

    func testCopyCarriesTextThatCOPYMustEscapeUnchanged() throws {
        let queue = folder.appendingPathComponent("queue.db").path
        XCTAssertEqual(try Binary.importFixture(into: queue).status, 0)
        let awkward = "a\tb\nc\\d\re \\N é ß 名 🙂 \\\\t"
        let values = #"["Zoë\\t\"quoted\"", "Łódź\u00e9", null]"#
        do {
            let db = try DatabaseQueue(path: queue)
            try db.write { db in
                try db.execute(sql: "UPDATE import_batch SET file = ?", arguments: [awkward])
                try db.execute(sql: "UPDATE record SET field_values = ? WHERE id = 1", arguments: [values])
            }
            try db.close()
        }
        let server = newQueueURL()
        let there = try Binary.run(["copy", queue, server])
        XCTAssertEqual(there.status, 0, there.stderr)
        let back = folder.appendingPathComponent("back.db").path
        XCTAssertEqual(try Binary.run(["copy", server, back]).status, 0)
        let db = try DatabaseQueue(path: back)
        defer { try? db.close() }
        try db.read { db in
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT file FROM import_batch"), [awkward])
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT field_values FROM record WHERE id = 1"), values)
        }
        let onServer = try psql("SELECT file = E'a\\tb\\nc\\\\d\\re \\\\N é ß 名 🙂 \\\\\\\\t' FROM \(schemas[0]).import_batch")
        XCTAssertEqual(onServer.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "t", "the server holds the same text")
    }
    // MARK: - Export

    func testEveryExportFromTheServerIsTheFilesByteForByte() throws {
        let queue = try workedQueue()
        // A re-estimated model, so the model export writes m that differ from the imported ones.
        let reestimate = try Binary.run(["reestimate", queue])
        XCTAssertEqual(reestimate.status, 0, reestimate.stderr)
        let server = newQueueURL()
        let copy = try Binary.run(["copy", queue, server])
        XCTAssertEqual(copy.status, 0, copy.stderr)

        let exports: [(arguments: [String], file: String)] = [
            (["labels"], "labels.csv"), (["labels", "--include-unsure"], "labels-unsure.csv"),
            (["links"], "links.csv"), (["links", "--clusters"], "clusters.csv"),
            (["model"], "model.json"), (["model", "--include-u", "--include-lambda"], "model-u.json"),
            (["decisions"], "decisions.csv"), (["decisions"], "decisions.jsonl"),
        ]
        for export in exports {
            let fromFile = folder.appendingPathComponent("file-" + export.file).path
            let fromServer = folder.appendingPathComponent("server-" + export.file).path
            let onFile = try Binary.run(["export"] + [export.arguments[0], queue, fromFile] + export.arguments.dropFirst())
            let onServer = try Binary.run(["export"] + [export.arguments[0], server, fromServer] + export.arguments.dropFirst())
            let name = export.arguments.joined(separator: " ") + " → " + export.file
            XCTAssertEqual(onFile.status, 0, "\(name): \(onFile.stderr)")
            XCTAssertEqual(onServer.status, 0, "\(name): \(onServer.stderr)")
            XCTAssertEqual(onServer.stdout.replacingOccurrences(of: fromServer, with: "OUT"),
                           onFile.stdout.replacingOccurrences(of: fromFile, with: "OUT"), "\(name): the same summary line")
            let fileText = try String(contentsOfFile: fromFile, encoding: .utf8)
            XCTAssertGreaterThan(fileText.split(separator: "\n").count, 1, "\(name) has rows")
            XCTAssertEqual(try String(contentsOfFile: fromServer, encoding: .utf8), fileText, "\(name) is the same on the server")
        }

        let refused = try Binary.run(["export", "decisions", server, folder.appendingPathComponent("d.txt").path])
        XCTAssertEqual(refused.status, 64, "an output that names no format is a usage error")
        XCTAssertTrue(refused.stderr.contains(".csv or .jsonl"), refused.stderr)
    }

    func testAQualityLeadSamplesAndAuditsOnTheServerAsOnTheFile() throws {
        let file = try fileWithFirstVerdicts("sample.db", count: 60)
        let queue = newQueueURL(), schema = schemas.last!
        let password = "pw-\(UUID().uuidString.prefix(8))"
        let lead = "\(schema)_lead", reviewer = "\(schema)_rex"
        for role in [lead, reviewer] {
            XCTAssertEqual(try psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'").status, 0)
            roles.append(role)
        }
        let me = try XCTUnwrap(URLComponents(string: server)?.user)
        for (name, role) in [(NSUserName(), "supervisor"), (me, "supervisor"), (lead, "quality-lead"), (reviewer, "reviewer"), ("ana", "reviewer")] {
            let added = try Binary.run(["reviewers", "add", file, name, "--role", role])
            XCTAssertEqual(added.status, 0, added.stderr)
        }
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)
        func asRole(_ role: String) -> String {
            roleURL(role, password: password, schema: schema)
        }

        let refused = try Binary.run(["qa", "sample", asRole(reviewer), "--count", "8"])
        XCTAssertEqual(refused.status, 77, "a reviewer may not sample: \(refused.stderr)")
        XCTAssertTrue(refused.stderr.contains("only a quality lead may sample"), refused.stderr)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).second_review"), 0, "the refusal wrote nothing")

        // The file's own account is a supervisor, so the file is sampled with its lead opened up.
        XCTAssertEqual(try Binary.run(["reviewers", "add", file, NSUserName(), "--role", "quality-lead"]).status, 0)
        let onFile = try Binary.run(["qa", "sample", file, "--count", "8", "--seed", "7"])
        let onServer = try Binary.run(["qa", "sample", asRole(lead), "--count", "8", "--seed", "7"])
        XCTAssertEqual(onFile.status, 0, onFile.stderr)
        XCTAssertEqual(onServer.status, 0, onServer.stderr)
        XCTAssertEqual(onServer.stdout, onFile.stdout, "the same summary, stratum by stratum")
        let picked = "SELECT pair_id || ' ' || first_reviewer || ' ' || stratum || ' ' || state FROM second_review ORDER BY pair_id"
        let serverRows = try psql("SET search_path TO \(schema); " + picked).stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(serverRows.count, 8)
        XCTAssertEqual(serverRows, try sqlite(file, picked), "the server samples the pairs the file samples with the same seed")

        // An audit drawn with the same seed is the same draw: strata, frame, pairs, probabilities.
        XCTAssertEqual(try Binary.run(["qa", "audit", asRole(reviewer), "--count", "20"]).status, 77, "a reviewer may not draw an audit")
        let auditOnFile = try Binary.run(["qa", "audit", file, "--count", "20", "--seed", "3", "--share", "0.5"])
        let auditOnServer = try Binary.run(["qa", "audit", asRole(lead), "--count", "20", "--seed", "3", "--share", "0.5"])
        XCTAssertEqual(auditOnFile.status, 0, auditOnFile.stderr)
        XCTAssertEqual(auditOnServer.status, 0, auditOnServer.stderr)
        XCTAssertEqual(auditOnServer.stdout, auditOnFile.stdout)
        for table in [
            // Probabilities to 12 places: the two backends print a double's digits differently.
            """
            SELECT pair_id || ' ' || stratum || ' ' || CAST(round(inclusion_probability * 1e12) AS bigint) || ' '
                   || CAST(round(drawn_probability * 1e12) AS bigint) FROM audit_pair ORDER BY pair_id
            """,
            "SELECT stratum || ' ' || frame_size || ' ' || sample_size FROM audit_stratum ORDER BY stratum",
            "SELECT stratum || ' ' || pattern_id || ' ' || pairs FROM audit_frame ORDER BY stratum, pattern_id",
            "SELECT design || ' ' || share || ' ' || seed FROM audit",
        ] {
            let rows = try psql("SET search_path TO \(schema); " + table).stdout.split(separator: "\n").map(String.init)
            XCTAssertFalse(rows.isEmpty, table)
            XCTAssertEqual(rows, try sqlite(file, table), table)
        }
        XCTAssertEqual(try psql("SELECT created_by FROM \(schema).audit").stdout.trimmingCharacters(in: .whitespacesAndNewlines), lead,
                       "the audit is the lead's, as the server knows the session")

        // The sampled pairs come first to the next reviewer, blind, and are done once reviewed;
        // then the audit's pairs come in among the band's.
        let second = try Binary.run([asRole(reviewer), "--reviewer", reviewer, "--report", folder.appendingPathComponent("rex.json").path,
                                     "--max", "30"], tool: "clerical-load")
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision WHERE kind = 'second-review'"), 8)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).second_review WHERE state = 'done'"), 8)
        XCTAssertGreaterThan(try serverCount("SELECT count(*) FROM \(schema).audit_pair WHERE offered = 1"), 0, "audit pairs were offered")
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }

    // MARK: - Import

    func scratchFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("clerical-import-") }
    }

    func testImportIntoPostgreSQLMakesTheQueueAFileImportMakes() throws {
        let queue = newQueueURL(), schema = schemas.last!
        let before = try scratchFiles()
        let imported = try Binary.run(["import", queue, Binary.fixture("splink5-febrl3", "predictions.csv"),
                                       "--model", Binary.fixture("splink5-febrl3", "model.json")])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("Created postgresql://"), imported.stdout)
        XCTAssertEqual(try scratchFiles(), before, "the scratch file is gone")
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)

        // The same file imported into a queue file: the same queue, read back from the server.
        let file = folder.appendingPathComponent("file.db").path
        XCTAssertEqual(try Binary.importFixture(into: file).status, 0)
        let back = folder.appendingPathComponent("back.db").path
        XCTAssertEqual(try Binary.run(["copy", queue, back]).status, 0)
        let fromServer = try statusJSON(back), fromFile = try statusJSON(file)
        for key in ["pairs", "records", "patterns", "comparisons", "pending_by_probability", "review_band", "link_type"] {
            XCTAssertEqual(fromServer[key] as? NSObject, fromFile[key] as? NSObject, key)
        }
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).pair"), 6583)
        // Streamed to the server, every record and pair is the file's, id for id, bit for bit.
        for table in ["record", "pair", "pattern"] {
            let rows = { (path: String) throws -> [Row] in
                let db = try DatabaseQueue(path: path)
                defer { try? db.close() }
                return try db.read { try Row.fetchAll($0, sql: "SELECT * FROM \(table) ORDER BY id") }
            }
            XCTAssertEqual(try rows(back), try rows(file), table)
        }
    }

    /// A bad row at the end of the file, when records and pairs have already gone to the server.
    func testABadRowAfterRowsWereStreamedLeavesNoSchemaBehind() throws {
        let queue = newQueueURL(), schema = schemas.last!
        let source = try String(contentsOfFile: Binary.fixture("splink5-febrl3", "predictions.csv"), encoding: .utf8)
        var lines = source.components(separatedBy: "\n").filter { !$0.isEmpty }
        lines[lines.count - 1] = lines[lines.count - 1].replacingOccurrences(of: ",", with: ";")
        let broken = folder.appendingPathComponent("late.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: broken, atomically: true, encoding: .utf8)
        let imported = try Binary.run(["import", queue, broken, "--model", Binary.fixture("splink5-febrl3", "model.json")])
        XCTAssertEqual(imported.status, 65, imported.stderr)
        XCTAssertTrue(imported.stderr.contains("late.csv:\(lines.count)"), imported.stderr)
        XCTAssertEqual(try psql("SELECT count(*) FROM pg_namespace WHERE nspname = '\(schema)'").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), "0", "no schema made")
        // The server is fit for the next import into the same schema.
        let again = try Binary.run(["import", queue, Binary.fixture("splink5-febrl3", "predictions.csv"),
                                    "--model", Binary.fixture("splink5-febrl3", "model.json")])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).pair"), 6583)
    }

    /// The FEBRL fixture's rows, and a writer of a part of them (with the header) as a
    /// predictions file in the test's folder: batches to import one after another.
    func fixtureBatches() throws -> (rows: [String], write: (String, ArraySlice<String>) throws -> String) {
        let lines = try String(contentsOfFile: Binary.fixture("splink5-febrl3", "predictions.csv"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = lines[0], folder = self.folder!
        return (Array(lines.dropFirst()), { name, part in
            let path = folder.appendingPathComponent(name).path
            try ([header] + part).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        })
    }

    /// Two batches imported into one server queue at the same moment: each is added whole or
    /// refused whole with 75 (and then goes in when tried again), never half, and every counter
    /// still matches the rows.
    func testTwoBatchesImportedAtOnceGoInOneAtATime() throws {
        let (rows, write) = try fixtureBatches()
        // The two batches share 500 rows: whichever goes second counts them as duplicates.
        let first = try write("first.csv", rows[..<3000])
        let batches = [try write("second.csv", rows[3000..<5000]), try write("third.csv", rows[4500...])]
        let queue = newQueueURL(), schema = schemas.last!
        let created = try Binary.run(["import", queue, first, "--model", Binary.fixture("splink5-febrl3", "model.json")])
        XCTAssertEqual(created.status, 0, created.stderr)

        let results = ResultBox(count: batches.count)
        DispatchQueue.concurrentPerform(iterations: batches.count) { k in
            results.set(k, Result { try Binary.run(["import", queue, batches[k]]) })
        }
        var added = 1
        for (k, result) in results.values.enumerated() {
            let run = try result.get()
            if run.status == 0 {
                XCTAssertTrue(run.stdout.hasPrefix("Updated postgresql://"), run.stdout)
                added += 1
                continue
            }
            XCTAssertEqual(run.status, 75, "refused whole, with the busy status: \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            let again = try Binary.run(["import", queue, batches[k]])
            XCTAssertEqual(again.status, 0, again.stderr)
            added += 1
        }
        XCTAssertEqual(added, 3)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).import_batch"), 3)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).pair"), 6583)
        XCTAssertEqual(try serverCount("SELECT sum(duplicates) FROM \(schema).import_batch"), 500)
        XCTAssertEqual(try serverCount("""
            SELECT count(*) FROM \(schema).pattern p WHERE p.pair_count <> (SELECT count(*) FROM \(schema).pair WHERE pattern_id = p.id)
                OR p.open_count <> (SELECT count(*) FROM \(schema).pair WHERE pattern_id = p.id AND state = 'pending')
            """), 0, "every pattern's counts are its pairs'")
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).pair_state_count WHERE state = 'pending'"),
                       try serverCount("SELECT count(*) FROM \(schema).pair WHERE state = 'pending'"))
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).band_count WHERE in_band = 1"),
                       try serverCount("SELECT coalesce(sum(open_count), 0) FROM \(schema).pattern WHERE in_band = 1"))
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }

    /// A second batch into a queue already on the server, while a reviewer works it: the same
    /// records, patterns and pairs a file gets from the same two batches, every counter exact.
    func testABatchAddsToAQueueOnTheServerAsToAFile() throws {
        let (rows, write) = try fixtureBatches()
        // The second batch repeats 500 of the first's rows: duplicates, counted and skipped.
        let first = try write("first.csv", rows[..<4000]), second = try write("second.csv", rows[3500...])
        let model = Binary.fixture("splink5-febrl3", "model.json")
        let queue = newQueueURL(), schema = schemas.last!
        let file = folder.appendingPathComponent("file.db").path
        for place in [queue, file] {
            let created = try Binary.run(["import", place, first, "--model", model, "--review-probability", "0.001:0.999999"])
            XCTAssertEqual(created.status, 0, created.stderr)
            XCTAssertTrue(created.stdout.hasPrefix("Created"), created.stdout)
        }
        let load = try Binary.run([queue, "--reviewer", "unused", "--max", "30", "--report", folder.appendingPathComponent("r.json").path],
                                  tool: "clerical-load")
        XCTAssertEqual(load.status, 0, load.stderr)
        let onServer = try Binary.run(["import", queue, second])
        let onFile = try Binary.run(["import", file, second])
        XCTAssertEqual(onServer.status, 0, onServer.stderr)
        XCTAssertEqual(onFile.status, 0, onFile.stderr)
        XCTAssertTrue(onServer.stdout.hasPrefix("Updated postgresql://"), onServer.stdout)
        XCTAssertEqual(onServer.stdout.split(separator: "\n").dropFirst(), onFile.stdout.split(separator: "\n").dropFirst(),
                       "the same rows added, duplicates and new patterns")
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).pair"), 6583)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision"), 30, "the reviewer's verdicts stand")

        // Records, patterns and pairs id for id: the server numbers the batch's rows as the file does.
        for (table, row) in [("pattern", "id || ':' || gammas || ':' || pair_count"),
                             ("record", "id || ':' || source_dataset || ':' || unique_id || ':' || field_values"),
                             ("pair", "id || ':' || left_record_id || ':' || right_record_id || ':' || pattern_id || ':' || import_batch_id")] {
            XCTAssertEqual(try psql("SET search_path TO \(schema); SELECT string_agg(\(row), ',' ORDER BY id) FROM \(table)")
                               .stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                           try sqlite(file, "SELECT group_concat(x, ',') FROM (SELECT \(row) AS x FROM \(table) ORDER BY id)").first,
                           table)
        }
        // Every counter agrees with a count of the rows.
        for (kept, counted) in [
            ("SELECT count(*) FROM pattern t WHERE open_count <> (SELECT count(*) FROM pair p WHERE p.pattern_id = t.id AND p.state = 'pending')", "0"),
            ("SELECT count(*) FROM pair_state_count c WHERE count <> (SELECT count(*) FROM pair p WHERE p.state = c.state)", "0"),
            ("SELECT count(*) FROM band_count b WHERE count <> (SELECT coalesce(sum(open_count), 0) FROM pattern t WHERE t.in_band = b.in_band)", "0"),
        ] {
            XCTAssertEqual(try psql("SET search_path TO \(schema); " + kept).stdout.trimmingCharacters(in: .whitespacesAndNewlines), counted, kept)
        }
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        // A bad batch gets its line and leaves the queue on the server as it was.
        var broken = rows[..<50].map { $0 }
        broken[20] = broken[20].replacingOccurrences(of: ",", with: ";")
        let bad = try write("bad.csv", broken[...])
        let refused = try Binary.run(["import", queue, bad])
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("bad.csv:22"), refused.stderr)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).import_batch"), 2)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).pair"), 6583)
        // The queue goes on: the next reviewer claims from the new pairs too.
        let more = try Binary.run([queue, "--reviewer", "unused", "--max", "10", "--report", folder.appendingPathComponent("s.json").path],
                                  tool: "clerical-load")
        XCTAssertEqual(more.status, 0, more.stderr)
    }

    func testABadFileImportedIntoPostgreSQLLeavesNoSchemaBehind() throws {
        let queue = newQueueURL(), schema = schemas.last!
        let source = try String(contentsOfFile: Binary.fixture("splink5-febrl3", "predictions.csv"), encoding: .utf8)
        var lines = source.components(separatedBy: "\n")
        lines[40] = lines[40].replacingOccurrences(of: ",", with: ";")  // one row with too few fields
        let broken = folder.appendingPathComponent("broken.csv").path
        try lines.joined(separator: "\n").write(toFile: broken, atomically: true, encoding: .utf8)
        let before = try scratchFiles()
        let imported = try Binary.run(["import", queue, broken, "--model", Binary.fixture("splink5-febrl3", "model.json")])
        XCTAssertEqual(imported.status, 65, imported.stderr)
        XCTAssertTrue(imported.stderr.contains("broken.csv:41"), imported.stderr)
        XCTAssertEqual(imported.stderr.split(separator: "\n").count, 1, "one line")
        XCTAssertEqual(try psql("SELECT count(*) FROM pg_namespace WHERE nspname = '\(schema)'").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), "0", "no schema made")
        XCTAssertEqual(try scratchFiles(), before, "the scratch file is gone")
    }

    func testCopyRefusesADestinationThatIsNotNewAndLeavesItAlone() throws {
        let queue = try workedQueue()
        let server = newQueueURL()
        XCTAssertEqual(try Binary.run(["copy", queue, server]).status, 0)
        let again = try Binary.run(["copy", queue, server])
        XCTAssertEqual(again.status, 73, again.stderr)
        XCTAssertTrue(again.stderr.contains("already holds tables"), again.stderr)
        XCTAssertEqual(try psql("SELECT count(*) FROM \(schemas[0]).decision").stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                       "\(try decisions(in: queue))")

        let existing = try Binary.run(["copy", server, queue])
        XCTAssertEqual(existing.status, 73, existing.stderr)
        XCTAssertEqual(try Binary.run(["verify", queue]).status, 0, "the file is left as it was")

        let sideways = try Binary.run(["copy", queue, folder.appendingPathComponent("other.db").path])
        XCTAssertEqual(sideways.status, 64, sideways.stderr)
    }

    func testAFailedCopyLeavesNoSchemaBehind() throws {
        let queue = try workedQueue()
        // A decision changed behind the tool's back: the copy's own verification refuses it.
        let db = try DatabaseQueue(path: queue)
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER decision_is_append_only_update")
            try db.execute(sql: "UPDATE decision SET verdict = 'unsure' WHERE id = 7")
            try db.execute(sql: """
                CREATE TRIGGER decision_is_append_only_update BEFORE UPDATE ON decision
                BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END
                """)
        }
        try db.close()
        let server = newQueueURL()
        let copy = try Binary.run(["copy", queue, server])
        XCTAssertEqual(copy.status, 65, copy.stderr)
        XCTAssertTrue(copy.stderr.contains("decision 7"), copy.stderr)
        XCTAssertEqual(try psql("SELECT count(*) FROM pg_namespace WHERE nspname = '\(schemas[0])'").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), "0", "the transaction took the schema with it")
    }

    // MARK: - Many reviewers

    /// A queue on the server with `count` reviewer roles registered (each with its password),
    /// the test's own role its supervisor; returns the queue URL and each reviewer's URL.
    func serverQueueWithReviewers(_ count: Int, band: String = "0.001:0.999999") throws -> (queue: String, reviewers: [String]) {
        let file = folder.appendingPathComponent("many.db").path
        XCTAssertEqual(try Binary.importFixture(into: file, band: band).status, 0)
        let queue = newQueueURL(), schema = schemas.last!
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)
        let me = try XCTUnwrap(URLComponents(string: server)?.user)
        let added = try Binary.run(["reviewers", "add", queue, me, "--role", "supervisor"])
        XCTAssertEqual(added.status, 0, added.stderr)
        var urls: [String] = []
        for n in 1...count {
            let role = "\(schema)_r\(n)", password = "pw-\(UUID().uuidString.prefix(8))"
            XCTAssertEqual(try psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'").status, 0)
            roles.append(role)
            let registered = try Binary.run(["reviewers", "add", queue, role, "--role", "reviewer"])
            XCTAssertEqual(registered.status, 0, registered.stderr)
            urls.append(roleURL(role, password: password, schema: schema))
        }
        return (queue, urls)
    }

    /// One process per reviewer URL (on the server the reviewer is the role the URL logs in as).
    func runReviewers(_ urls: [String], extra: [String] = []) throws -> [LoadReport] {
        try runLoadProcesses(urls.map { ($0, "unused") }, folder: folder, extra: extra)
    }

    /// The queue URL that logs in as `role`.
    func roleURL(_ role: String, password: String, schema: String) -> String {
        let host = URLComponents(string: server)!
        return "postgresql://\(role):\(password)@\(host.host!):\(host.port ?? 5432)\(host.path)?sslmode=disable&schema=\(schema)"
    }

    func serverCount(_ sql: String) throws -> Int {
        Int(try psql(sql).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func testSixteenReviewerProcessesEmptyAQueueOnTheServerEachPairDecidedOnce() throws {
        let (queue, urls) = try serverQueueWithReviewers(16)
        let schema = schemas.last!
        let pending = try serverCount("SELECT count FROM \(schema).band_count WHERE in_band = 1")
        XCTAssertGreaterThan(pending, 200)
        let reports = try runReviewers(urls)
        XCTAssertEqual(reports.flatMap(\.errors), [], "no error reaches a reviewer")
        XCTAssertEqual(Set(reports.map(\.reviewer)).count, 16, "each process is its own database role")
        XCTAssertEqual(reports.reduce(0) { $0 + $1.verdicts }, pending, "every pending pair got a verdict")
        let decided = reports.flatMap(\.decidedPairs)
        XCTAssertEqual(Set(decided).count, decided.count, "no pair decided twice")
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision WHERE kind = 'review'"), pending)
        XCTAssertEqual(try serverCount("""
            SELECT count(*) FROM (SELECT pair_id FROM \(schema).decision GROUP BY pair_id, kind HAVING count(*) > 1) twice
            """), 0, "no pair has two decisions of one kind")
        XCTAssertEqual(try serverCount("""
            SELECT (SELECT count FROM \(schema).band_count WHERE in_band = 1) + (SELECT count(*) FROM \(schema).pair WHERE state = 'claimed')
                 + (SELECT count(*) FROM \(schema).claim)
            """), 0, "the queue is empty, no claim left")
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).pair_state_count WHERE state = 'decided'"), pending,
                       "the trigger-kept counters agree")
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        XCTAssertTrue(verify.stdout.contains("\(pending) decisions"), verify.stdout)
    }

    /// What a reviewer decided, in order: a second review, an audit pair, or a pair of the band.
    static func decidedInOrder(reviewer: String, schema: String? = nil) -> String {
        let table = { (name: String) in schema.map { "\($0).\(name)" } ?? name }
        return """
            SELECT CASE WHEN d.kind = 'second-review' THEN 'second-review' WHEN a.pair_id IS NOT NULL THEN 'audit' ELSE 'band' END
            FROM \(table("decision")) d LEFT JOIN \(table("audit_pair")) a ON a.pair_id = d.pair_id
            WHERE d.reviewer = '\(reviewer)' ORDER BY d.id
            """
    }

    func testSecondReviewsAndTheAuditComeInSQLitesOrderOnTheServer() throws {
        // One queue worked on SQLite (first verdicts, a second-review sample, an audit), then
        // the same queue emptied by one reviewer on each backend: the same kinds, in the same order.
        let file = try fileWithFirstVerdicts("order.db", count: 10)
        XCTAssertEqual(try Binary.run(["qa", "sample", file, "--count", "5"]).status, 0)
        let audit = try Binary.run(["qa", "audit", file, "--count", "20"])
        XCTAssertEqual(audit.status, 0, audit.stderr)
        let queue = newQueueURL(), schema = schemas.last!
        let role = "\(schema)_cara", password = "pw-\(UUID().uuidString.prefix(8))"
        XCTAssertEqual(try psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'").status, 0)
        roles.append(role)
        // The same reviewers on both sides: the test's own account and the server's role, and cara.
        let me = try XCTUnwrap(URLComponents(string: server)?.user)
        for (name, role) in [(NSUserName(), "supervisor"), (me, "supervisor"), (role, "reviewer")] {
            let added = try Binary.run(["reviewers", "add", file, name, "--role", role])
            XCTAssertEqual(added.status, 0, added.stderr)
        }
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)
        let reviewerURL = roleURL(role, password: password, schema: schema)

        for target in [file, reviewerURL] {
            let run = try Binary.run([target, "--reviewer", role, "--report", folder.appendingPathComponent("cara.json").path],
                                     tool: "clerical-load")
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let onFile = try sqlite(file, Self.decidedInOrder(reviewer: role))
        let onServer = try psql(Self.decidedInOrder(reviewer: role, schema: schema)).stdout
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(onServer, onFile, "the server hands out second reviews, audit and band pairs in SQLite's order")
        XCTAssertEqual(Array(onServer.prefix(5)), Array(repeating: "second-review", count: 5), "second reviews come first")
        XCTAssertEqual(onServer.filter { $0 == "audit" }.count, 20)
        XCTAssertLessThan(try XCTUnwrap(onServer.firstIndex(of: "audit")), try XCTUnwrap(onServer.lastIndex(of: "band")),
                          "audit pairs come in among the band's, not after them")
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).second_review WHERE state <> 'done'"), 0)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 0)
        for target in [file, queue] {
            let verify = try Binary.run(["verify", target])
            XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        }
        // Copied back, the server's queue reads as the file's does: disputes, counts, quality.
        let back = folder.appendingPathComponent("back.db").path
        XCTAssertEqual(try Binary.run(["copy", queue, back]).status, 0)
        let onFileStatus = try statusJSON(file), backStatus = try statusJSON(back)
        for key in ["pairs", "decisions", "quality"] {
            XCTAssertEqual(backStatus[key] as? NSDictionary, onFileStatus[key] as? NSDictionary, key)
        }
    }

    func testReservationsHoldOnTheServerAsOnAFile() throws {
        // A band kept for one reviewer, a share for another: each empties what it may, on the
        // file and on the server, and each is given the same pairs in the same order on both.
        let file = folder.appendingPathComponent("reserved.db").path
        XCTAssertEqual(try Binary.importFixture(into: file, band: "0.001:0.999999").status, 0)
        let queue = newQueueURL(), schema = schemas.last!
        let me = try XCTUnwrap(URLComponents(string: server)?.user)
        var reviewerURLs: [String: String] = [:]
        for name in ["\(schema)_band", "\(schema)_share"] {
            let password = "pw-\(UUID().uuidString.prefix(8))"
            XCTAssertEqual(try psql("CREATE ROLE \(name) LOGIN PASSWORD '\(password)'").status, 0)
            roles.append(name)
            reviewerURLs[name] = roleURL(name, password: password, schema: schema)
        }
        let band = "\(schema)_band", share = "\(schema)_share"
        for (name, role) in [(NSUserName(), "supervisor"), (me, "supervisor"), (band, "reviewer"), (share, "reviewer")] {
            XCTAssertEqual(try Binary.run(["reviewers", "add", file, name, "--role", role]).status, 0)
        }
        XCTAssertEqual(try Binary.run(["reviewers", "reserve", file, band, "--band", "0.6:0.999999"]).status, 0)
        XCTAssertEqual(try Binary.run(["reviewers", "reserve", file, share, "--share", "0.3"]).status, 0)
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)

        let order = { (reviewer: String, table: String) in "SELECT pair_id FROM \(table) WHERE reviewer = '\(reviewer)' ORDER BY id" }
        for reviewer in [share, band] {
            for target in [file, reviewerURLs[reviewer]!] {
                let run = try Binary.run([target, "--reviewer", reviewer, "--report", folder.appendingPathComponent("r.json").path],
                                         tool: "clerical-load")
                XCTAssertEqual(run.status, 0, run.stderr)
            }
            let onFile = try sqlite(file, order(reviewer, "decision"))
            let onServer = try psql(order(reviewer, "\(schema).decision")).stdout.split(separator: "\n").map(String.init)
            XCTAssertFalse(onFile.isEmpty, reviewer)
            XCTAssertEqual(onServer, onFile, "\(reviewer) is given the same pairs in the same order on both")
        }
        let shareInBand = try serverCount("""
            SELECT count(*) FROM \(schema).decision d JOIN \(schema).pair p ON p.id = d.pair_id JOIN \(schema).pattern t ON t.id = p.pattern_id
            WHERE d.reviewer = '\(share)' AND t.match_probability >= 0.6 AND t.match_probability <= 0.999999
            """)
        XCTAssertEqual(shareInBand, 0, "no pair of the band kept for another reviewer")
        let bandFirst = try serverCount("""
            SELECT count(*) FROM (SELECT t.match_probability FROM \(schema).decision d JOIN \(schema).pair p ON p.id = d.pair_id
            JOIN \(schema).pattern t ON t.id = p.pattern_id WHERE d.reviewer = '\(band)' ORDER BY d.id LIMIT 5) first
            WHERE match_probability >= 0.6
            """)
        XCTAssertEqual(bandFirst, 5, "the band's reviewer meets the band first")
        // What is left is kept both ways (in one's band and the other's share), on both backends alike.
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).band_count WHERE in_band = 1"),
                       Int(try sqlite(file, "SELECT count FROM band_count WHERE in_band = 1").first ?? ""))
    }

    func sqlite(_ file: String, _ sql: String) throws -> [String] {
        let db = try DatabaseQueue(path: file)
        defer { try? db.close() }
        return try db.read { try String.fetchAll($0, sql: sql) }
    }

    func testTheDashboardFollowsReviewersOnTheServerAndExpiresAClaim() throws {
        let (queue, urls) = try serverQueueWithReviewers(2)
        let schema = schemas.last!
        let dashboard = try TmuxSession("\(Binary.clerical.path) dashboard '\(queue)'")
        XCTAssertTrue(dashboard.waitFor("clerical dashboard  postgresql://"))
        XCTAssertTrue(dashboard.waitFor("no verdicts yet"))

        // The first reviewer decides 20 pairs from another process (another database role).
        let first = try Binary.run([urls[0], "--reviewer", "unused", "--max", "20", "--report",
                                    folder.appendingPathComponent("first.json").path], tool: "clerical-load")
        XCTAssertEqual(first.status, 0, first.stderr)
        let decidedAt = Date()
        XCTAssertTrue(dashboard.waitFor("decided 20", timeout: 3))
        XCTAssertLessThan(Date().timeIntervalSince(decidedAt), 2.5, "seen within about a second")
        XCTAssertTrue(dashboard.waitFor(" \("\(schema)_r1".prefix(16)) "), "the reviewer's role, in the table's 16 columns")

        // The second takes a pair and sits on it: the claim shows; the supervisor ends it.
        let sitting = Process()
        sitting.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        sitting.arguments = [urls[1], "--reviewer", "unused", "--max", "1", "--think-ms", "60000",
                             "--report", folder.appendingPathComponent("second.json").path]
        try sitting.run()
        defer { sitting.terminate(); sitting.waitUntilExit() }
        XCTAssertTrue(dashboard.waitFor("claims (1)"))
        XCTAssertTrue(dashboard.waitFor("review  \("\(schema)_r2".prefix(16))"))
        // What a database administrator sees of them: each connection named by its command.
        XCTAssertEqual(try psql("SELECT application_name FROM pg_stat_activity WHERE usename = '\(schema)_r2'").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), "clerical-load")
        XCTAssertGreaterThanOrEqual(try serverCount("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clerical dashboard'"), 1)
        dashboard.send("x")
        XCTAssertTrue(dashboard.waitFor("ended: the pair is back in the queue"))
        XCTAssertTrue(dashboard.waitFor("claims (0)"))
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 0)
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).pair_state_count WHERE state = 'claimed'"), 0,
                       "the pair is pending again")
        dashboard.send("q")
        XCTAssertTrue(dashboard.waitFor("EXIT=0"))
    }

    func testSupervisorsManageReviewersAndReservationsOnTheServer() throws {
        let (queue, urls) = try serverQueueWithReviewers(2)
        let schema = schemas.last!
        let (first, second) = ("\(schema)_r1", "\(schema)_r2")
        let listed = try Binary.run(["reviewers", "list", queue])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.contains(first) && listed.stdout.contains(second), listed.stdout)

        XCTAssertEqual(try Binary.run(["reviewers", "reserve", queue, first, "--band", "0.6:0.999999"]).status, 0)
        XCTAssertEqual(try Binary.run(["reviewers", "reserve", queue, second, "--share", "0.25"]).status, 0)
        let reserved = try Binary.run(["reviewers", "list", queue]).stdout
        XCTAssertTrue(reserved.contains("reserved for \(first): pairs with match probability 0.6:0.999999"), reserved)
        XCTAssertTrue(reserved.contains("reserved for \(second): 25.0% of the pairs"), reserved)
        // A reviewer may not reserve (77), nor remove anyone.
        let refused = try Binary.run(["reviewers", "reserve", urls[1], second, "--share", "0.5"])
        XCTAssertEqual(refused.status, 77, refused.stderr)
        XCTAssertEqual(try Binary.run(["reviewers", "remove", urls[1], first]).status, 77)

        // The first reviewer's claim goes back when it is removed, and its role loses the queue.
        let holding = Process()
        holding.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        holding.arguments = [urls[0], "--reviewer", "unused", "--max", "1", "--think-ms", "60000",
                             "--report", folder.appendingPathComponent("r1.json").path]
        try holding.run()
        defer { holding.terminate(); holding.waitUntilExit() }
        let deadline = Date().addingTimeInterval(10)
        while try serverCount("SELECT count(*) FROM \(schema).claim WHERE reviewer = '\(first)'") == 0, Date() < deadline { usleep(50_000) }
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim WHERE reviewer = '\(first)'"), 1)
        let removed = try Binary.run(["reviewers", "remove", queue, first])
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 0, "its claim went back to the queue")
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).pair_state_count WHERE state = 'claimed'"), 0)
        let locked = try Binary.run([urls[0], "--reviewer", "unused", "--max", "1", "--report",
                                     folder.appendingPathComponent("r1b.json").path], tool: "clerical-load")
        let report = try JSONDecoder().decode(LoadReport.self, from: Data(contentsOf: folder.appendingPathComponent("r1b.json")))
        XCTAssertEqual(report.verdicts, 0, locked.stderr)
        XCTAssertTrue(report.errors.first?.contains("permission denied") ?? false, "\(report.errors)")

        XCTAssertEqual(try Binary.run(["reviewers", "unreserve", queue, first]).status, 0)
        XCTAssertFalse(try Binary.run(["reviewers", "list", queue]).stdout.contains("reserved for \(first)"))
        XCTAssertEqual(try Binary.run(["reviewers", "mask", queue, "on"]).status, 0)
        XCTAssertEqual(try psql("SELECT value FROM \(schema).queue_setting WHERE key = 'mask_by_default'").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), "on")
    }

    func testLeasesRunOutOnTheServerAndNoPairIsDecidedTwice() throws {
        let (_, urls) = try serverQueueWithReviewers(4, band: "0.2:0.8")
        let schema = schemas.last!
        let pending = try serverCount("SELECT count FROM \(schema).band_count WHERE in_band = 1")
        XCTAssertGreaterThan(pending, 5)
        // Each reviewer sits on a pair past its 1 s lease now and then: another takes it.
        let reports = try runReviewers(urls, extra: ["--lease", "1", "--linger", "0.15"])
        XCTAssertEqual(reports.flatMap(\.errors), [])
        XCTAssertEqual(reports.reduce(0) { $0 + $1.verdicts }, pending)
        let decided = reports.flatMap(\.decidedPairs)
        XCTAssertEqual(Set(decided).count, decided.count, "a late verdict on a pair someone else took is refused")
        XCTAssertEqual(try serverCount("SELECT count(DISTINCT pair_id) FROM \(schema).decision"), pending)
    }

    func testConnectionsCutUnderReviewersLoseNothingAcknowledged() throws {
        let (queue, urls) = try serverQueueWithReviewers(4)
        let schema = schemas.last!
        let pending = try serverCount("SELECT count FROM \(schema).band_count WHERE in_band = 1")
        // While they work, the server drops every reviewer connection, again and again.
        let cutter = Process()
        cutter.executableURL = URL(fileURLWithPath: "/bin/bash")
        cutter.arguments = ["-c", """
            for i in $(seq 12); do sleep 0.4; psql '\(server.components(separatedBy: "?")[0])' -qAt -c \
              "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename LIKE '\(schema)_r%'"; done
            """]
        let cut = Pipe()
        cutter.standardOutput = cut
        try cutter.run()
        let reports = try runReviewers(urls, extra: ["--think-ms", "15"])
        cutter.waitUntilExit()
        let dropped = String(decoding: cut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").compactMap { Int($0) }.reduce(0, +)
        XCTAssertGreaterThan(dropped, 0, "connections were cut while the reviewers worked")
        XCTAssertEqual(reports.flatMap(\.errors), [], "a lost connection is made again, not an error")
        XCTAssertGreaterThan(reports.reduce(0) { $0 + $1.reconnections }, 0)
        // Every verdict acknowledged is in the chain, once, with its reviewer; the queue is empty.
        for report in reports {
            for pair in report.decidedPairs {
                XCTAssertEqual(try serverCount("""
                    SELECT count(*) FROM \(schema).decision WHERE pair_id = \(pair) AND reviewer = '\(report.reviewer)'
                    """), 1, "pair \(pair), acknowledged to \(report.reviewer)")
            }
        }
        XCTAssertEqual(reports.reduce(0) { $0 + $1.verdicts }, pending)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision"), pending, "no verdict written twice")
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).band_count WHERE in_band = 1"), 0)
        XCTAssertEqual(try Binary.run(["verify", queue]).status, 0)
    }

    /// A verdict is acknowledged only once its transaction has committed. Here every commit
    /// of a decision fails (a deferred trigger, run at commit, refuses it): the reviewer must
    /// see the failure, never a saved verdict, and the chain must stay empty.
    func testAVerdictWhoseCommitFailsIsNeverAcknowledged() throws {
        let (_, urls) = try serverQueueWithReviewers(1, band: "0.2:0.8")
        let schema = schemas.last!
        XCTAssertEqual(try psql("""
            CREATE CONSTRAINT TRIGGER refused_at_commit AFTER INSERT ON \(schema).decision
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
            EXECUTE FUNCTION \(schema).refuse_change('refused at commit by the test')
            """).status, 0)
        let reports = try runReviewers(urls, extra: ["--max", "1"])
        XCTAssertEqual(reports.map(\.verdicts), [0], "a verdict that did not commit was acknowledged")
        XCTAssertTrue(reports.flatMap(\.errors).contains { $0.contains("refused at commit by the test") }, "\(reports.flatMap(\.errors))")
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision"), 0)
    }

    func testAReviewerRoleMayAppendDecisionsButNeverChangeThem() throws {
        let (queue, urls) = try serverQueueWithReviewers(1, band: "0.2:0.8")
        let schema = schemas.last!
        let reports = try runReviewers(urls, extra: ["--max", "3"])
        XCTAssertEqual(reports[0].verdicts, 3)
        // As the reviewer's own role, with psql: the privileges refuse before the trigger would.
        let asReviewer = { (sql: String) throws -> ClericalRun in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["psql", urls[0].components(separatedBy: "?")[0], "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return ClericalRun(status: process.terminationStatus, stdout: "", stderr: String(decoding: stderr, as: UTF8.self))
        }
        for sql in ["UPDATE \(schema).decision SET verdict = 'match'", "DELETE FROM \(schema).decision",
                    "TRUNCATE \(schema).decision CASCADE", "UPDATE \(schema).reviewer SET role = 'supervisor'"] {
            let refused = try asReviewer(sql)
            XCTAssertNotEqual(refused.status, 0, sql)
            XCTAssertTrue(refused.stderr.contains("permission denied"), "\(sql): \(refused.stderr)")
        }
        // And the command line holds them to their role: a reviewer may not copy the queue out.
        let copy = try Binary.run(["copy", urls[0], folder.appendingPathComponent("out.db").path])
        XCTAssertEqual(copy.status, 77, copy.stderr)
        XCTAssertEqual(try Binary.run(["verify", queue]).status, 0)
    }

    // MARK: - Re-estimation

    /// `reestimate URL --every N` is the process that re-estimates a server queue as verdicts
    /// come in (a reviewer's role cannot write the model); a stop signal ends it cleanly.
    func testReestimateEveryOnTheServerRunsUntilStopped() throws {
        let queue = newQueueURL(), schema = schemas.last!
        XCTAssertEqual(try Binary.importFixture(into: queue).status, 0)
        let runner = Process()
        runner.executableURL = Binary.clerical
        // A password in the URL (this server trusts the role and never asks for it) is never printed.
        let password = "never-printed-\(UUID().uuidString.prefix(8))"
        runner.arguments = ["reestimate", queue + "&password=\(password)", "--every", "10"]
        let output = folder.appendingPathComponent("runner.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let sink = try FileHandle(forWritingTo: output)
        runner.standardOutput = sink
        runner.standardError = sink
        try runner.run()
        defer { if runner.isRunning { runner.terminate() } }

        let load = try Binary.run([queue, "--reviewer", "ana", "--max", "25", "--report", folder.appendingPathComponent("r.json").path],
                                  tool: "clerical-load")
        XCTAssertEqual(load.status, 0, load.stderr)
        // Within a few of the runner's looks, fewer than 10 of the 25 verdicts are left out of
        // the latest model (decision ids here are 1...25: the watermark is the last one taken in).
        let deadline = Date(timeIntervalSinceNow: 30)
        var watermark = 0
        while Date() < deadline {
            watermark = try serverCount("SELECT coalesce(max(decision_watermark), 0) FROM \(schema).model_version")
            if watermark >= 16 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertGreaterThanOrEqual(watermark, 16, "the runner re-estimated as the verdicts came in")
        XCTAssertGreaterThanOrEqual(try serverCount("SELECT count(*) FROM \(schema).model_version"), 2)
        XCTAssertTrue(runner.isRunning, "it keeps watching until stopped")

        runner.terminate()  // SIGTERM
        runner.waitUntilExit()
        try sink.close()
        XCTAssertEqual(runner.terminationStatus, 0)
        let printed = try String(contentsOf: output, encoding: .utf8)
        XCTAssertTrue(printed.contains("re-estimating after every 10 verdicts until stopped"), printed)
        XCTAssertTrue(printed.contains("new verdicts:"), printed)
        XCTAssertTrue(printed.hasSuffix("stopped\n"), printed)
        XCTAssertFalse(printed.contains(password), printed)
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }

    func testReestimationOnTheServerKeepsTheModelAndScoresTheFileWould() throws {
        let file = try fileWithFirstVerdicts("reestimate.db", count: 120)
        let queue = newQueueURL(), schema = schemas.last!
        let password = "pw-\(UUID().uuidString.prefix(8))", lead = "\(schema)_lead"
        XCTAssertEqual(try psql("CREATE ROLE \(lead) LOGIN PASSWORD '\(password)'").status, 0)
        roles.append(lead)
        let me = try XCTUnwrap(URLComponents(string: server)?.user)
        // The file's own account ends a quality lead, to re-estimate the file alike.
        for (name, role) in [(NSUserName(), "supervisor"), (me, "supervisor"), (lead, "quality-lead"), ("ana", "reviewer"),
                             (NSUserName(), "quality-lead")] {
            let added = try Binary.run(["reviewers", "add", file, name, "--role", role])
            XCTAssertEqual(added.status, 0, added.stderr)
        }
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)
        let asLead = roleURL(lead, password: password, schema: schema)

        let refused = try Binary.run(["reestimate", queue])
        XCTAssertEqual(refused.status, 77, "a supervisor may not re-estimate: \(refused.stderr)")
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).model_version"), 1, "the refusal wrote nothing")
        let automatic = try Binary.run(["reestimate", asLead, "--every", "0"])
        XCTAssertEqual(automatic.status, 64, "nothing on a server re-estimates on its own to turn off: \(automatic.stderr)")

        let onFile = try Binary.run(["reestimate", file, "--json"])
        let onServer = try Binary.run(["reestimate", asLead, "--json"])
        XCTAssertEqual(onFile.status, 0, onFile.stderr)
        XCTAssertEqual(onServer.status, 0, onServer.stderr)
        func report(_ run: ClericalRun) throws -> NSDictionary {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let copy = NSMutableDictionary(dictionary: object)
            copy.removeObject(forKey: "seconds")
            return copy
        }
        XCTAssertEqual(try report(onServer), try report(onFile), "the same models weighed, the same kept, the same levels")
        // Every pattern scored, banded and ordered bit for bit as on the file (float8's text is exact).
        let serverScores = try psql("""
            SET search_path TO \(schema); SELECT match_weight || ' ' || match_probability || ' ' || review_priority || ' ' || in_band FROM pattern ORDER BY id
            """).stdout.split(separator: "\n").map { $0.split(separator: " ").map { Double($0)! } }
        let database = try DatabaseQueue(path: file)
        let fileScores = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT match_weight, match_probability, review_priority, in_band FROM pattern ORDER BY id").map { row in
                [row[0] as Double, row[1] as Double, row[2] as Double, Double(row[3] as Int)]
            }
        }
        try database.close()
        XCTAssertGreaterThan(fileScores.count, 1000)
        XCTAssertEqual(serverScores.count, fileScores.count)
        let differing = zip(serverScores, fileScores).enumerated().first { $0.element.0 != $0.element.1 }
        XCTAssertNil(differing, "pattern \(differing.map { String($0.offset) } ?? ""): \(String(describing: differing?.element))")
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).band_count WHERE in_band = 1"),
                       Int(try sqlite(file, "SELECT count FROM band_count WHERE in_band = 1").first ?? "") ?? -2)
        XCTAssertEqual(try serverCount("SELECT max(id) FROM \(schema).model_version"), 2)
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }

    func testLabelsImportIntoTheServerAsIntoTheFileAndABadRowLeavesItAlone() throws {
        let first = try fileWithFirstVerdicts("first.db", count: 25)
        let labels = folder.appendingPathComponent("labels.csv").path
        XCTAssertEqual(try Binary.run(["export", "labels", first, labels]).status, 0)
        var lines = try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "unique_id_l,unique_id_r,clerical_match_score")
        lines.append("no-such-record,rec-944-org,1")  // counted, never invented
        try (lines.joined(separator: "\n") + "\n").write(toFile: labels, atomically: true, encoding: .utf8)

        let file = folder.appendingPathComponent("target.db").path
        XCTAssertEqual(try Binary.importFixture(into: file).status, 0)
        let queue = newQueueURL(), schema = schemas.last!
        let password = "pw-\(UUID().uuidString.prefix(8))", lead = "\(schema)_lead", reviewer = "\(schema)_rex"
        for role in [lead, reviewer] {
            XCTAssertEqual(try psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'").status, 0)
            roles.append(role)
        }
        let me = try XCTUnwrap(URLComponents(string: server)?.user)
        for (name, role) in [(NSUserName(), "supervisor"), (me, "supervisor"), (lead, "quality-lead"), (reviewer, "reviewer"),
                             (NSUserName(), "quality-lead")] {
            XCTAssertEqual(try Binary.run(["reviewers", "add", file, name, "--role", role]).status, 0)
        }
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)
        func asRole(_ role: String) -> String {
            roleURL(role, password: password, schema: schema)
        }

        let refused = try Binary.run(["import-labels", asRole(reviewer), labels])
        XCTAssertEqual(refused.status, 77, refused.stderr)
        let bad = folder.appendingPathComponent("bad.csv").path
        try "unique_id_l,unique_id_r,clerical_match_score\nrec-944-dup-1,rec-944-org,1\nrec-187-dup-2,rec-187-org,yes\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let badRun = try Binary.run(["import-labels", asRole(lead), bad])
        XCTAssertEqual(badRun.status, 65, badRun.stderr)
        XCTAssertTrue(badRun.stderr.contains("bad.csv:3:27: clerical_match_score is \"yes\""), badRun.stderr)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision"), 0, "the first good row was not kept either")
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).pair_state_count WHERE state = 'decided'"), 0)

        let onFile = try Binary.run(["import-labels", file, labels, "--reviewer", "splink-tool"])
        let onServer = try Binary.run(["import-labels", asRole(lead), labels, "--reviewer", "splink-tool"])
        XCTAssertEqual(onFile.status, 0, onFile.stderr)
        XCTAssertEqual(onServer.status, 0, onServer.stderr)
        XCTAssertEqual(onServer.stdout, onFile.stdout)
        XCTAssertTrue(onServer.stdout.contains("1 not in the queue"), onServer.stdout)
        let fromFile = folder.appendingPathComponent("from-file.csv").path, fromServer = folder.appendingPathComponent("from-server.csv").path
        XCTAssertEqual(try Binary.run(["export", "labels", file, fromFile]).status, 0)
        XCTAssertEqual(try Binary.run(["export", "labels", asRole(lead), fromServer]).status, 0)
        XCTAssertEqual(try String(contentsOfFile: fromServer, encoding: .utf8), try String(contentsOfFile: fromFile, encoding: .utf8))
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision WHERE reviewer = 'splink-tool'"), lines.count - 2)
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }

    /// A quality lead re-estimates again and again while reviewers work: the reviewers go on
    /// (claims pass over the pattern rows the re-scoring holds, briefly), and every counter
    /// the triggers keep still equals a count of the rows.
    func testReestimatingWhileReviewersWorkKeepsEveryCounterExact() throws {
        let (queue, urls) = try serverQueueWithReviewers(2)
        let schema = schemas.last!, lead = "\(schema)_lead", password = "pw-\(UUID().uuidString.prefix(8))"
        XCTAssertEqual(try psql("CREATE ROLE \(lead) LOGIN PASSWORD '\(password)'").status, 0)
        roles.append(lead)
        XCTAssertEqual(try Binary.run(["reviewers", "add", queue, lead, "--role", "quality-lead"]).status, 0)
        let pending = try serverCount("SELECT count FROM \(schema).band_count WHERE in_band = 1")
        let leading = Process()
        leading.executableURL = URL(fileURLWithPath: "/bin/bash")
        leading.arguments = ["-c", "for i in 1 2 3 4; do sleep 0.5; '\(Binary.clerical.path)' reestimate '\(roleURL(lead, password: password, schema: schema))' >/dev/null || exit $?; done"]
        try leading.run()
        let reports = try runReviewers(urls, extra: ["--think-ms", "5", "--max", "150"])
        leading.waitUntilExit()
        XCTAssertEqual(leading.terminationStatus, 0, "every re-estimation went through")
        XCTAssertEqual(try serverCount("SELECT max(id) FROM \(schema).model_version"), 5)
        XCTAssertEqual(reports.flatMap(\.errors), [])
        XCTAssertEqual(reports.reduce(0) { $0 + $1.verdicts }, min(300, pending), "no reviewer stopped early")
        for check in [
            "SELECT count(*) FROM pattern t WHERE open_count <> (SELECT count(*) FROM pair p WHERE p.pattern_id = t.id AND p.state = 'pending')",
            "SELECT count(*) FROM pair_state_count c WHERE count <> (SELECT count(*) FROM pair p WHERE p.state = c.state)",
            "SELECT count(*) FROM band_count b WHERE count <> (SELECT coalesce(sum(open_count), 0) FROM pattern t WHERE t.in_band = b.in_band)",
        ] {
            XCTAssertEqual(try psql("SET search_path TO \(schema); " + check).stdout.trimmingCharacters(in: .whitespacesAndNewlines), "0", check)
        }
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }

    // MARK: - The review screen

    func testAReviewerWorksTheServerQueueOnTheScreenAsOnAFile() throws {
        let (queue, urls) = try serverQueueWithReviewers(1)
        let schema = schemas.last!, role = "\(schema)_r1"
        let screen = try TmuxSession("\(Binary.clerical.path) review '\(urls[0])'")
        XCTAssertTrue(screen.waitFor("also pairs with"), "the context panel, read from the server")
        XCTAssertTrue(screen.capture().contains("reviewer \(role.prefix(12))"), screen.capture())
        screen.send("m")
        XCTAssertTrue(screen.waitFor("Saved: match"))
        let first = try serverCount("SELECT pair_id FROM \(schema).decision ORDER BY id LIMIT 1")
        screen.send("n")
        XCTAssertTrue(screen.waitFor("Saved: non-match"))
        // Undo withdraws the latest verdict and brings its pair back into hand.
        screen.send("z")
        XCTAssertTrue(screen.waitFor("Undone: your verdict on pair #"))
        let undone = try serverCount("SELECT pair_id FROM \(schema).decision ORDER BY id DESC LIMIT 1")
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim WHERE pair_id = \(undone) AND reviewer = '\(role)'"), 1)
        // Back to the first verdict, changed: a correction appended, not an edit.
        screen.send("h")
        XCTAssertTrue(screen.waitFor("Your verdict: match"))
        screen.send("u")
        XCTAssertTrue(screen.waitFor("Changed: pair #\(first) is now unsure"))
        screen.send("l")  // forward, back to the pair in hand
        XCTAssertTrue(screen.waitFor("s skip"))
        // The server drops the screen's connection: the next verdict reconnects and is saved.
        XCTAssertGreaterThan(try serverCount("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '\(role)'"), 0)
        screen.send("n")
        XCTAssertTrue(screen.waitFor("Saved: non-match"))
        screen.send("q")
        XCTAssertTrue(screen.waitFor("EXIT=0"))
        XCTAssertTrue(screen.capture().contains("This session: "), screen.capture())

        let rows = try psql("SELECT reviewer || ' ' || kind || ' ' || coalesce(verdict, '-') FROM \(schema).decision ORDER BY id").stdout
        XCTAssertEqual(rows.split(separator: "\n").map(String.init), [
            "\(role) review match", "\(role) review non-match", "\(role) review -", "\(role) review unsure", "\(role) review non-match",
        ])
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 0, "quitting hands the pair in hand back")
        XCTAssertEqual(try serverCount("SELECT count FROM \(schema).pair_state_count WHERE state = 'decided'"), 2)
        // The chain is the one a file would hold: verify passes on the server and on a copy back.
        let onServer = try Binary.run(["verify", queue])
        XCTAssertEqual(onServer.status, 0, onServer.stderr)
        let back = folder.appendingPathComponent("back.db").path
        XCTAssertEqual(try Binary.run(["copy", queue, back]).status, 0)
        let me = try XCTUnwrap(URLComponents(string: server)?.user)  // the supervisor the copy keeps
        let onFile = try Binary.run(["verify", back], environment: ["CLERICAL_ACCOUNT": me])
        XCTAssertEqual(onFile.status, 0, onFile.stderr)
        XCTAssertEqual(head(onFile), head(onServer))
    }

    func testMaskedReviewOnTheServerLogsEveryRevealInItsChain() throws {
        let (queue, urls) = try serverQueueWithReviewers(1)
        let schema = schemas.last!, role = "\(schema)_r1"
        let screen = try TmuxSession("\(Binary.clerical.path) review '\(urls[0])' --mask")
        XCTAssertTrue(screen.waitFor("also pairs with"))
        screen.send("R")
        XCTAssertTrue(screen.waitFor("Revealed the whole pair (logged)"))
        screen.send("m")
        XCTAssertTrue(screen.waitFor("Saved: match"))
        screen.send("q")
        XCTAssertTrue(screen.waitFor("EXIT=0"))
        XCTAssertEqual(try psql("SELECT reviewer || ' ' || coalesce(field, '*') FROM \(schema).reveal").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), "\(role) *")
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.contains("1 decisions and 1 reveals chained") || verify.stdout.contains("1 decision and 1 reveal chained"),
                      verify.stdout)
    }

    /// A queue file of one of the screen tests' fixtures, every pair in the review band.
    func screenFixture(_ predictions: String) throws -> String {
        let fixtures = Binary.checkout.appendingPathComponent("Tests/ClericalTUITests/Fixtures")
        let file = folder.appendingPathComponent("\(predictions).db").path
        let imported = try Binary.run(["import", file, fixtures.appendingPathComponent(predictions).path,
                                       "--model", fixtures.appendingPathComponent("model.json").path, "--review-probability", "0:1"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        return file
    }

    /// Works `pairs` pairs at a screen, each shown with `each`, decided with `key`, then quits
    /// once nothing is left.
    func work(_ screen: TmuxSession, pairs: Int, each: String, key: String, saved: String, checking: () -> Void,
              file: StaticString = #filePath, line: UInt = #line) {
        for _ in 0..<pairs {
            XCTAssertTrue(screen.waitFor(each, file: file, line: line), file: file, line: line)
            checking()
            screen.send(key)
            XCTAssertTrue(screen.waitFor(saved, file: file, line: line), file: file, line: line)
        }
        XCTAssertTrue(screen.waitFor("Nothing left to review", file: file, line: line), file: file, line: line)
        screen.send("q")
        XCTAssertTrue(screen.waitFor("EXIT=0", file: file, line: line), file: file, line: line)
    }

    /// Blind second review to adjudication on the server, each person at a screen of their own:
    /// ana reviews, the lead samples, bo second-reviews in his normal flow, the lead adjudicates.
    func testSecondReviewAndAdjudicationOnTheServerScreens() throws {
        let file = try screenFixture("predictions.csv")
        let queue = newQueueURL(), schema = schemas.last!
        let password = "pw-\(UUID().uuidString.prefix(8))"
        let ana = "\(schema)_a", bo = "\(schema)_b", lead = "\(schema)_q"
        for role in [ana, bo, lead] {
            XCTAssertEqual(try psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'").status, 0)
            roles.append(role)
        }
        let me = try XCTUnwrap(URLComponents(string: server)?.user)
        for (name, role) in [(NSUserName(), "supervisor"), (me, "supervisor"), (ana, "reviewer"), (bo, "reviewer"), (lead, "quality-lead")] {
            XCTAssertEqual(try Binary.run(["reviewers", "add", file, name, "--role", role]).status, 0)
        }
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)
        func asRole(_ role: String) -> String {
            roleURL(role, password: password, schema: schema)
        }
        let first = try Binary.run([asRole(ana), "--reviewer", "unused", "--report", folder.appendingPathComponent("ana.json").path],
                                   tool: "clerical-load")
        XCTAssertEqual(first.status, 0, first.stderr)
        let matches = try serverCount("SELECT count(*) FROM \(schema).decision WHERE kind = 'review' AND verdict = 'match'")
        XCTAssertGreaterThan(matches, 0, "the fixture has pairs the model leans to match")
        let sample = try Binary.run(["qa", "sample", asRole(lead), "--count", "5", "--stratify", "reviewer", "--seed", "4"])
        XCTAssertEqual(sample.status, 0, sample.stderr)

        let second = try TmuxSession("\(Binary.clerical.path) review '\(asRole(bo))'")
        work(second, pairs: 5, each: "SECOND REVIEW", key: "n", saved: "Saved: non-match") {
            XCTAssertFalse(second.capture().contains("match weight"), "blind")
        }
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).pair WHERE state = 'disputed'"), matches)

        let adjudication = try TmuxSession("\(Binary.clerical.path) review '\(asRole(lead))' --adjudicate")
        work(adjudication, pairs: matches, each: "ADJUDICATION", key: "m", saved: "Saved: match") {
            XCTAssertTrue(adjudication.waitFor("1st \(ana.prefix(10))"))
        }
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision WHERE kind = 'adjudication' AND reviewer = '\(lead)'"), matches)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).pair WHERE state = 'disputed'"), 0)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 0)
        let labels = folder.appendingPathComponent("labels.csv").path
        XCTAssertEqual(try Binary.run(["export", "labels", asRole(lead), labels]).status, 0)
        let rows = try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.filter { $0.hasSuffix(",1.0") }.count, matches, "adjudicated matches count as matches")
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }

    /// One record with all its candidates on the server: claimed together, decided in one
    /// transaction, undone together, handed back on quit.
    func testReviewByRecordOnTheServerWithUndo() throws {
        let file = try screenFixture("candidates.csv")
        let queue = newQueueURL(), schema = schemas.last!
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)
        let tmux = try TmuxSession("\(Binary.clerical.path) review '\(queue)' --by-record")
        XCTAssertTrue(tmux.waitFor("1 candidate"))
        XCTAssertTrue(tmux.capture().contains("CUS-0000103"))
        tmux.send("1"); XCTAssertTrue(tmux.waitFor("3 candidates"))
        XCTAssertTrue(tmux.capture().contains("CUS-0000101"))
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 3, "the record's candidates, claimed together")
        tmux.send("2"); XCTAssertTrue(tmux.waitFor("Candidate 2 is the match"))
        tmux.send("Enter"); XCTAssertTrue(tmux.waitFor("Saved: 1 match, 2 non-matches"))
        tmux.send("z"); XCTAssertTrue(tmux.waitFor("Undone: the verdicts on CUS-0000101"))
        tmux.send("q"); XCTAssertTrue(tmux.waitFor("EXIT=0"))
        let rows = try psql("SELECT pair_id || ' ' || coalesce(verdict, '-') FROM \(schema).decision ORDER BY id").stdout
            .split(separator: "\n").map { $0.split(separator: " ") }
        XCTAssertEqual(rows.map { String($0[1]) }, ["match", "non-match", "match", "non-match", "-", "-", "-"])
        XCTAssertEqual(Set(rows.suffix(3).map { String($0[0]) }), ["1", "2", "3"], "the whole group withdrawn")
        XCTAssertEqual(try psql("SELECT string_agg(state, ',' ORDER BY id) FROM \(schema).pair WHERE id IN (1, 2, 3)").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), "pending,pending,pending", "taken back, then handed back on quit")
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 0)
        XCTAssertTrue(tmux.capture().contains("This session: 1 verdict"), tmux.capture())
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }

    /// By record on the server, a sampled pair comes alone and blind, and its verdict is a
    /// second review, as on a file: its sample row done, the pair disputed when ana's differs.
    func testASecondReviewReviewedByRecordOnTheServerIsASecondReview() throws {
        let file = try fileWithFirstVerdicts("sampled.db", count: 25)
        XCTAssertEqual(try Binary.run(["qa", "sample", file, "--count", "1", "--seed", "3"]).status, 0)
        let queue = newQueueURL(), schema = schemas.last!
        XCTAssertEqual(try Binary.run(["copy", file, queue]).status, 0)
        let sampled = try serverCount("SELECT pair_id FROM \(schema).second_review")
        let first = try psql("SELECT verdict FROM \(schema).decision WHERE pair_id = \(sampled) AND kind = 'review'").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let tmux = try TmuxSession("\(Binary.clerical.path) review '\(queue)' --by-record")
        XCTAssertTrue(tmux.waitFor("1 candidate"))
        XCTAssertFalse(tmux.capture().contains("weight"), "blind: no model evidence")
        tmux.send("n"); XCTAssertTrue(tmux.waitFor("Saved: 0 matches, 1 non-match"))  // a lone candidate needs no confirming
        tmux.send("q"); XCTAssertTrue(tmux.waitFor("EXIT=0"))
        XCTAssertEqual(try psql("SELECT kind || ' ' || verdict FROM \(schema).decision WHERE pair_id = \(sampled) ORDER BY id").stdout
            .split(separator: "\n").map(String.init), ["review \(first)", "second-review non-match"])
        XCTAssertEqual(try psql("SELECT state FROM \(schema).second_review").stdout.trimmingCharacters(in: .whitespacesAndNewlines), "done")
        XCTAssertEqual(try psql("SELECT state FROM \(schema).pair WHERE id = \(sampled)").stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                       first == "non-match" ? "decided" : "disputed")
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 0)
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }

    func testTheScreenOnTheServerRefusesWhoMayNotReviewOrAdjudicate() throws {
        let (queue, urls) = try serverQueueWithReviewers(1)
        let byRecord = try Binary.run(["review", urls[0], "--by-record", "--mask"])
        XCTAssertEqual(byRecord.status, 64, byRecord.stderr)
        XCTAssertTrue(byRecord.stderr.contains("--by-record cannot be masked"), byRecord.stderr)
        let adjudicate = try Binary.run(["review", urls[0], "--adjudicate"])
        XCTAssertEqual(adjudicate.status, 77, "a reviewer may not adjudicate: \(adjudicate.stderr)")
        // A database role that is not a registered reviewer logs in, and is refused before any screen.
        let schema = schemas.last!, stranger = "\(schema)_x", password = "pw-\(UUID().uuidString.prefix(8))"
        XCTAssertEqual(try psql("CREATE ROLE \(stranger) LOGIN PASSWORD '\(password)'; GRANT USAGE ON SCHEMA \(schema) TO \(stranger); GRANT SELECT ON ALL TABLES IN SCHEMA \(schema) TO \(stranger)").status, 0)
        roles.append(stranger)
        let strangerURL = roleURL(stranger, password: password, schema: schema)
        let refused = try Binary.run(["review", strangerURL])
        XCTAssertEqual(refused.status, 77, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).claim"), 0)
        _ = queue
    }

    // MARK: - Verify

    func testAnEditMadeWithPsqlIsCaughtByVerify() throws {
        let queue = try workedQueue()
        let server = newQueueURL(), schema = schemas[0]
        XCTAssertEqual(try Binary.run(["copy", queue, server]).status, 0)

        let refused = try psql("UPDATE \(schema).decision SET verdict = 'match' WHERE id = 12")
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("append-only"), refused.stderr)
        XCTAssertNotEqual(try psql("DELETE FROM \(schema).decision WHERE id = 12").status, 0)
        XCTAssertNotEqual(try psql("TRUNCATE \(schema).decision CASCADE").status, 0)

        // With the trigger switched off for one transaction, the chain still gives it away.
        XCTAssertEqual(try psql("""
            BEGIN; ALTER TABLE \(schema).decision DISABLE TRIGGER decision_is_append_only_update;
            UPDATE \(schema).decision SET verdict = CASE verdict WHEN 'match' THEN 'non-match' ELSE 'match' END WHERE id = 12;
            ALTER TABLE \(schema).decision ENABLE TRIGGER decision_is_append_only_update; COMMIT;
            """).status, 0)
        let changed = try Binary.run(["verify", server])
        XCTAssertEqual(changed.status, 65, changed.stdout + changed.stderr)
        XCTAssertTrue(changed.stdout.contains("decision 12: its content does not match its hash"), changed.stdout)

        // A trigger switched off and left off; a row deleted while it was.
        let other = newQueueURL(), otherSchema = schemas[1]
        XCTAssertEqual(try Binary.run(["copy", queue, other]).status, 0)
        XCTAssertEqual(try psql("ALTER TABLE \(otherSchema).decision DISABLE TRIGGER decision_is_append_only_delete").status, 0)
        XCTAssertEqual(try psql("DELETE FROM \(otherSchema).decision WHERE id = 20").status, 0)
        let removed = try Binary.run(["verify", other])
        XCTAssertEqual(removed.status, 65)
        XCTAssertTrue(removed.stdout.contains("trigger decision_is_append_only_delete is disabled"), removed.stdout)
        XCTAssertTrue(removed.stdout.contains("decision 21: previous_hash does not match"), removed.stdout)
    }

    // MARK: - Failures a person can cause

    func testFailuresAPersonCanCauseEachGetOneLineAndTheirStatus() throws {
        let queue = try workedQueue()
        let server = newQueueURL(), schema = schemas[0]
        XCTAssertEqual(try Binary.run(["copy", queue, server]).status, 0)

        // Nothing listens on port 1: unreachable (69).
        let unreachable = try Binary.run(["verify", "postgresql://nobody@127.0.0.1:1/none?schema=x&sslmode=disable"])
        XCTAssertEqual(unreachable.status, 69, unreachable.stderr)
        XCTAssertTrue(unreachable.stderr.contains("cannot reach the server"), unreachable.stderr)

        // A role with a password, logging in with the wrong one (77), never printed back.
        let role = "clerical_test_\(UUID().uuidString.prefix(6).lowercased())"
        XCTAssertEqual(try psql("CREATE ROLE \(role) LOGIN PASSWORD 'right-horse'").status, 0)
        defer { _ = try? psql("DROP OWNED BY \(role); DROP ROLE \(role)") }
        let host = URLComponents(string: self.server)!
        let wrong = "postgresql://\(role):wrong-horse@\(host.host ?? "127.0.0.1"):\(host.port ?? 5432)\(host.path)?schema=\(schema)&sslmode=disable"
        let refused = try Binary.run(["verify", wrong])
        XCTAssertEqual(refused.status, 77, refused.stderr)
        XCTAssertFalse(refused.stderr.contains("wrong-horse"), "the password is never printed")
        // The right password, but no privileges on the queue's tables (77).
        let right = wrong.replacingOccurrences(of: "wrong-horse", with: "right-horse")
        XCTAssertEqual(try psql("GRANT USAGE ON SCHEMA \(schema) TO \(role)").status, 0)
        let unprivileged = try Binary.run(["verify", right])
        XCTAssertEqual(unprivileged.status, 77, unprivileged.stderr)
        XCTAssertTrue(unprivileged.stderr.contains("not permitted"), unprivileged.stderr)

        // No such schema; a schema that is not a queue; a queue of another version (65).
        let missing = try Binary.run(["verify", url(schema: "clerical_test_none")])
        XCTAssertEqual(missing.status, 65, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no schema clerical_test_none"), missing.stderr)
        let plain = newQueueURL()
        XCTAssertEqual(try psql("CREATE SCHEMA \(schemas[1]); CREATE TABLE \(schemas[1]).notes (text text)").status, 0)
        let notQueue = try Binary.run(["verify", plain])
        XCTAssertEqual(notQueue.status, 65, notQueue.stderr)
        XCTAssertTrue(notQueue.stderr.contains("is not a clerical queue"), notQueue.stderr)
        XCTAssertEqual(try psql("INSERT INTO \(schema).schema_migration VALUES ('v99: from the future')").status, 0)
        let newer = try Binary.run(["verify", server])
        XCTAssertEqual(newer.status, 65, newer.stderr)
        XCTAssertTrue(newer.stderr.contains("another version"), newer.stderr)

        // A URL that does not read, and what means something on a file only: turning automatic
        // re-estimation off (64, before any connection).
        XCTAssertEqual(try Binary.run(["verify", server + "&sslmode=sometimes"]).status, 64)
        let fileOnly = try Binary.run(["reestimate", server, "--every", "0"])
        XCTAssertEqual(fileOnly.status, 64, fileOnly.stderr)
        XCTAssertTrue(fileOnly.stderr.contains("on a server nothing re-estimates on its own"), fileOnly.stderr)
    }

    /// A queue an earlier build put on the server, with verdicts and a reviewer's role, is
    /// brought up to date by the first command its owner runs, as a queue file is; before that
    /// the reviewer is told who may (65), and the queue is left as it was.
    func testAnEarlierBuildsQueueIsUpgradedWhenItsOwnerOpensIt() throws {
        let (queue, urls) = try serverQueueWithReviewers(1, band: "0.2:0.8")
        let schema = schemas.last!
        XCTAssertEqual(try runReviewers(urls, extra: ["--max", "3"])[0].verdicts, 3)
        // The queue as the build before v11 left it: v11's indexes as they were, and the
        // append-only refusal as a build that let changes through would have defined it.
        let earlier = try psql("""
            SET search_path TO \(schema);
            DROP INDEX open_pair_by_draw;
            CREATE INDEX open_pair_by_pattern ON pair(pattern_id, id) WHERE state = 'pending';
            DROP INDEX audit_pair_waiting_by_draw;
            CREATE INDEX audit_pair_waiting ON audit_pair(audit_id, pair_id) WHERE offered = 0;
            DELETE FROM schema_migration WHERE identifier LIKE 'v11:%';
            CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
            """)
        XCTAssertEqual(earlier.status, 0, earlier.stderr)
        let steps = { try self.serverCount("SELECT count(*) FROM \(schema).schema_migration") }
        let stepsBefore = try steps()

        let reviewer = try Binary.run(["status", urls[0]])
        XCTAssertEqual(reviewer.status, 65, reviewer.stderr)
        XCTAssertTrue(reviewer.stderr.contains("1 migration behind this build"), reviewer.stderr)
        let owner = try XCTUnwrap(URLComponents(string: server)?.user)
        XCTAssertTrue(reviewer.stderr.contains("its owner, role \(owner)"), reviewer.stderr)
        XCTAssertEqual(try steps(), stepsBefore, "the reviewer's look changed nothing")

        let status = try Binary.run(["status", queue])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertEqual(try steps(), stepsBefore + 1)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM pg_indexes WHERE schemaname = '\(schema)' AND indexname IN ('open_pair_by_draw', 'audit_pair_waiting_by_draw')"), 2)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM pg_indexes WHERE schemaname = '\(schema)' AND indexname IN ('open_pair_by_pattern', 'audit_pair_waiting')"), 0)
        // The function is this build's again: even the owner cannot change a decision.
        let edit = try psql("UPDATE \(schema).decision SET verdict = 'match'")
        XCTAssertNotEqual(edit.status, 0)
        XCTAssertTrue(edit.stderr.contains("decisions are append-only"), edit.stderr)

        // The reviewer works on, and the chain holds.
        XCTAssertEqual(try runReviewers(urls, extra: ["--max", "3"])[0].verdicts, 3)
        XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision"), 6)
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }

    /// A URL that lists a standby before its primary, as a failover pair is often given: with
    /// `target_session_attrs=read-write` (or `primary`) every command, and a reviewer's verdicts,
    /// go to the primary; a host that cannot be reached gives way to the next; a list where no
    /// host will do is one line and 69, naming why each was passed over.
    func testAListOfHostsFindsTheOneThatTakesWrites() throws {
        let standby = try XCTUnwrap(URLComponents(string: try ciSettings(["CLERICAL_TEST_POSTGRES_STANDBY"], for: "standby")[0]))
        let primary = try XCTUnwrap(URLComponents(string: server))
        let queue = newQueueURL(), schema = schemas.last!
        XCTAssertEqual(try Binary.run(["copy", try workedQueue(), queue]).status, 0)
        let (standbyHost, primaryHost) = ("\(standby.host!):\(standby.port!)", "\(primary.host!):\(primary.port!)")
        func pair(_ hosts: String, _ settings: String) -> String {
            "postgresql://postgres@\(hosts)/postgres?sslmode=disable&schema=\(schema)" + settings
        }
        // The standby has the queue once it has replayed the copy.
        let replayed = Date().addingTimeInterval(30)
        while try Binary.run(["verify", pair(standbyHost, "")]).status != 0, Date() < replayed { Thread.sleep(forTimeInterval: 0.2) }

        for target in ["read-write", "primary"] {
            let url = pair("\(standbyHost),\(primaryHost)", "&target_session_attrs=\(target)")
            let verify = try Binary.run(["verify", url])
            XCTAssertEqual(verify.status, 0, verify.stderr)
            let before = try serverCount("SELECT count(*) FROM \(schema).decision")
            let report = folder.appendingPathComponent("load-\(target).json").path
            let load = try Binary.run([url, "--reviewer", "postgres", "--report", report, "--max", "3"], tool: "clerical-load")
            XCTAssertEqual(load.status, 0, "\(target): \(load.stderr)")
            XCTAssertEqual(try serverCount("SELECT count(*) FROM \(schema).decision"), before + 3, "\(target): the verdicts are on the primary")
        }
        // Nothing listens on port 1: the next host is tried.
        let unreachableFirst = try Binary.run(["verify", pair("127.0.0.1:1,\(primaryHost)", "")])
        XCTAssertEqual(unreachableFirst.status, 0, unreachableFirst.stderr)
        // The standby alone will not do for writes, and the line says why.
        let standbyOnly = try Binary.run(["status", pair("127.0.0.1:1,\(standbyHost)", "&target_session_attrs=read-write")])
        XCTAssertEqual(standbyOnly.status, 69, standbyOnly.stderr)
        XCTAssertTrue(standbyOnly.stderr.contains("no host listed will do"), standbyOnly.stderr)
        XCTAssertTrue(standbyOnly.stderr.contains("cannot reach the server"), standbyOnly.stderr)
        XCTAssertTrue(standbyOnly.stderr.contains("read-only (target_session_attrs=read-write)"), standbyOnly.stderr)
        // Without a target, the standby answers first: what reads works, what writes is one line and 69.
        XCTAssertEqual(try Binary.run(["status", pair(standbyHost, "")]).status, 0)
        let write = try Binary.run(["qa", "sample", pair(standbyHost, ""), "--count", "2"])
        XCTAssertEqual(write.status, 69, write.stderr)
        XCTAssertTrue(write.stderr.contains("the server takes no writes"), write.stderr)
        let standbyPrimary = try Binary.run(["status", pair(standbyHost, "&target_session_attrs=primary")])
        XCTAssertEqual(standbyPrimary.status, 69, standbyPrimary.stderr)
        XCTAssertTrue(standbyPrimary.stderr.contains("a standby in recovery"), standbyPrimary.stderr)
        XCTAssertEqual(try Binary.run(["verify", queue]).status, 0)
    }

    /// The values of the environment variables `.ci/run` sets for the tests of `purpose`, or a
    /// skip (a failure where the server is required, as in CI).
    func ciSettings(_ names: [String], for purpose: String) throws -> [String] {
        let environment = ProcessInfo.processInfo.environment
        let values = names.compactMap { environment[$0].flatMap { $0.isEmpty ? nil : $0 } }
        guard values.count == names.count else {
            if environment["CLERICAL_REQUIRE_POSTGRES"] == "1" {
                XCTFail("CLERICAL_REQUIRE_POSTGRES=1 but one of \(names.joined(separator: ", ")) is not set: the \(purpose) tests cannot run")
            }
            throw XCTSkip("\(names.joined(separator: ", ")) not set: nothing for the \(purpose) tests (.ci/run makes it)")
        }
        return values
    }

    /// The test server's database that takes no connection without TLS (`.ci/run`'s
    /// pg_hba.conf), made if missing; returns the server's port.
    func tlsOnlyDatabase() throws -> Int {
        if try psql("SELECT 1 FROM pg_database WHERE datname = 'clerical_tls_only'").stdout.isEmpty {
            let created = try psql("CREATE DATABASE clerical_tls_only")
            XCTAssertTrue(created.status == 0 || created.stderr.contains("already exists"), created.stderr)
        }
        return try XCTUnwrap(URLComponents(string: server)?.port)
    }

    /// TLS as libpq does it, against the test server's certificate (for the name localhost,
    /// signed by the authority `.ci/run` made: `CLERICAL_TEST_POSTGRES_CA`), in a database
    /// that refuses connections without TLS.
    func testTLSChecksTheServersCertificateAsLibpqDoes() throws {
        let environment = ProcessInfo.processInfo.environment
        let authority = try ciSettings(["CLERICAL_TEST_POSTGRES_CA"], for: "TLS")[0]
        let port = try tlsOnlyDatabase()
        let schema = "clerical_test_tls_\(UUID().uuidString.prefix(6).lowercased())"
        func at(_ host: String, _ settings: String) -> String {
            "postgresql://postgres@\(host):\(port)/clerical_tls_only?schema=\(schema)&\(settings)"
        }
        // No roots anywhere but what each case names: an empty home, no PGSSLROOTCERT.
        let home = folder.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        var plain = environment
        plain["HOME"] = home.path
        plain["PGSSLROOTCERT"] = nil
        plain["PGSSLMODE"] = nil
        func run(_ arguments: [String]) throws -> ClericalRun { try Binary.run(arguments, environment: plain) }
        defer {
            let drop = Process()
            drop.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            drop.arguments = ["psql", "postgresql://postgres@127.0.0.1:\(port)/clerical_tls_only?sslmode=require",
                              "-qAt", "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"]
            drop.standardOutput = FileHandle.nullDevice
            drop.standardError = FileHandle.nullDevice
            try? drop.run()
            drop.waitUntilExit()
        }
        let queue = try workedQueue()

        // Without TLS this database refuses the login (77).
        let refused = try run(["copy", queue, at("127.0.0.1", "sslmode=disable")])
        XCTAssertEqual(refused.status, 77, refused.stderr)

        // verify-full by the name on the certificate, checked against the authority that signed it.
        let byName = at("localhost", "sslmode=verify-full&sslrootcert=\(authority)")
        let copied = try run(["copy", queue, byName])
        XCTAssertEqual(copied.status, 0, copied.stderr)
        let verified = try run(["verify", byName])
        XCTAssertEqual(verified.status, 0, verified.stderr + verified.stdout)

        // By address, the certificate (which names localhost only) is not the host's: 69, and why.
        let byAddress = try run(["verify", at("127.0.0.1", "sslmode=verify-full&sslrootcert=\(authority)")])
        XCTAssertEqual(byAddress.status, 69, byAddress.stderr)
        XCTAssertTrue(byAddress.stderr.contains("the server's certificate is not for 127.0.0.1"), byAddress.stderr)
        // verify-ca checks only the signer.
        let signerOnly = try run(["verify", at("127.0.0.1", "sslmode=verify-ca&sslrootcert=\(authority)")])
        XCTAssertEqual(signerOnly.status, 0, signerOnly.stderr)

        // An authority that did not sign it: refused by verify-full, and by require once roots are named (libpq).
        let stranger = Binary.fixture("tls", "untrusted-authority.crt")
        for mode in ["verify-full", "verify-ca", "require"] {
            let untrusted = try run(["verify", at("localhost", "sslmode=\(mode)&sslrootcert=\(stranger)")])
            XCTAssertEqual(untrusted.status, 69, "\(mode): \(untrusted.stderr)")
            XCTAssertTrue(untrusted.stderr.contains("does not verify against \(stranger)"), untrusted.stderr)
        }
        // require with no roots at hand encrypts without checking.
        XCTAssertEqual(try run(["verify", at("127.0.0.1", "sslmode=require")]).status, 0)

        // verify-full with no roots named and none at ~/.postgresql/root.crt: 66, naming the file and the ways out.
        let noRoots = try run(["verify", at("localhost", "sslmode=verify-full")])
        XCTAssertEqual(noRoots.status, 66, noRoots.stderr)
        XCTAssertTrue(noRoots.stderr.contains(home.path + "/.postgresql/root.crt"), noRoots.stderr)
        XCTAssertTrue(noRoots.stderr.contains("sslrootcert=FILE"), noRoots.stderr)
        // libpq's default file, and PGSSLROOTCERT, are where the authority may be instead.
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".postgresql"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: authority, toPath: home.appendingPathComponent(".postgresql/root.crt").path)
        XCTAssertEqual(try run(["verify", at("localhost", "sslmode=verify-full")]).status, 0)
        var named = plain
        named["PGSSLROOTCERT"] = stranger
        XCTAssertEqual(try Binary.run(["verify", at("localhost", "sslmode=verify-full")], environment: named).status, 69,
                       "PGSSLROOTCERT comes before the default file")
        // A root file named but not there (66), or not a certificate (65).
        let missing = try run(["verify", at("localhost", "sslmode=verify-full&sslrootcert=\(folder.path)/none.crt")])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("none.crt: no such file"), missing.stderr)
        let notPEM = try run(["verify", at("localhost", "sslmode=verify-full&sslrootcert=\(queue)")])
        XCTAssertEqual(notPEM.status, 65, notPEM.stderr)
        XCTAssertTrue(notPEM.stderr.contains("not a PEM certificate file"), notPEM.stderr)
    }

    /// A login by client certificate (`.ci/run`: role clerical_cert_user in clerical_tls_only
    /// logs in by the certificate its authority signed, `cert` in pg_hba.conf).
    func testAClientCertificateLogsInWhereTheServerAsksForOne() throws {
        let environment = ProcessInfo.processInfo.environment
        let files = try ciSettings(["CLERICAL_TEST_POSTGRES_CA", "CLERICAL_TEST_POSTGRES_CLIENT_CERT", "CLERICAL_TEST_POSTGRES_CLIENT_KEY"], for: "TLS")
        let (authority, certificate, key) = (files[0], files[1], files[2])
        let port = try tlsOnlyDatabase()
        if try psql("SELECT 1 FROM pg_roles WHERE rolname = 'clerical_cert_user'").stdout.isEmpty {
            XCTAssertEqual(try psql("CREATE ROLE clerical_cert_user LOGIN").status, 0)
        }
        let home = folder.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".postgresql"), withIntermediateDirectories: true)
        var plain = environment
        plain["HOME"] = home.path
        for name in ["PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGSSLMODE", "PGPASSWORD"] { plain[name] = nil }
        func run(_ url: String, environment: [String: String]? = nil) throws -> ClericalRun {
            try Binary.run(["status", url], environment: environment ?? plain)
        }
        // No schema: a login that got in is told so (65); one that did not, 77.
        let base = "postgresql://clerical_cert_user@localhost:\(port)/clerical_tls_only?schema=clerical_test_none&sslmode=verify-full&sslrootcert=\(authority)"

        let without = try run(base)
        XCTAssertEqual(without.status, 77, without.stderr)
        XCTAssertTrue(without.stderr.contains("login refused"), without.stderr)
        let named = try run(base + "&sslcert=\(certificate)&sslkey=\(key)")
        XCTAssertEqual(named.status, 65, named.stderr)
        XCTAssertTrue(named.stderr.contains("no schema clerical_test_none"), named.stderr)
        var fromEnvironment = plain
        fromEnvironment["PGSSLCERT"] = certificate
        fromEnvironment["PGSSLKEY"] = key
        XCTAssertEqual(try run(base, environment: fromEnvironment).status, 65)
        // libpq's default files.
        let defaultKey = home.appendingPathComponent(".postgresql/postgresql.key").path
        try FileManager.default.copyItem(atPath: certificate, toPath: home.appendingPathComponent(".postgresql/postgresql.crt").path)
        try FileManager.default.copyItem(atPath: key, toPath: defaultKey)
        XCTAssertEqual(chmod(defaultKey, 0o600), 0)
        XCTAssertEqual(try run(base).status, 65)
        // A key others may read is refused before any connection, as libpq refuses it (77).
        XCTAssertEqual(chmod(defaultKey, 0o644), 0)
        let exposed = try run(base)
        XCTAssertEqual(exposed.status, 77, exposed.stderr)
        XCTAssertTrue(exposed.stderr.contains("may be read by others: chmod 600 it"), exposed.stderr)
        // A certificate named but not there (66); one without its key (66).
        let missing = try run(base + "&sslcert=\(folder.path)/none.crt")
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("none.crt: no such file"), missing.stderr)
        let keyless = try run(base + "&sslcert=\(certificate)&sslkey=\(folder.path)/none.key")
        XCTAssertEqual(keyless.status, 66, keyless.stderr)
        XCTAssertTrue(keyless.stderr.contains("needs its key"), keyless.stderr)
    }

    func testTheRoleMatrixHoldsForCopyVerifyAndStatusOnTheServer() throws {
        let queue = try workedQueue()
        let me = try XCTUnwrap(URLComponents(string: server).flatMap { $0.user })
        let asLead = ProcessInfo.processInfo.environment.merging(["CLERICAL_ACCOUNT": "lead"]) { $1 }
        // The file's reviewers: a supervisor, a quality lead, and the database role as a plain reviewer.
        let asBoss = ProcessInfo.processInfo.environment.merging(["CLERICAL_ACCOUNT": "boss"]) { $1 }
        XCTAssertEqual(try Binary.run(["reviewers", "add", queue, "boss", "--role", "supervisor"], environment: asBoss).status, 0)
        XCTAssertEqual(try Binary.run(["reviewers", "add", queue, "lead", "--role", "quality-lead"], environment: asBoss).status, 0)
        XCTAssertEqual(try Binary.run(["reviewers", "add", queue, me, "--role", "reviewer"], environment: asBoss).status, 0)
        let server = newQueueURL()
        // On the file, the account is the OS account: the quality lead may copy it.
        let copy = try Binary.run(["copy", queue, server], environment: asLead)
        XCTAssertEqual(copy.status, 0, copy.stderr)
        // On the server, the account is the database role: a reviewer may verify and read the status, not copy.
        XCTAssertEqual(try Binary.run(["verify", server]).status, 0)
        let status = try Binary.run(["status", server])
        XCTAssertEqual(status.status, 0, status.stderr)
        let back = try Binary.run(["copy", server, folder.appendingPathComponent("back.db").path])
        XCTAssertEqual(back.status, 77, back.stderr)
        XCTAssertTrue(back.stderr.contains("only a quality lead or supervisor may copy"), back.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("back.db").path))
    }
}

/// Results written by concurrent workers, each into its own slot.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<ClericalRun, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<ClericalRun, any Error>) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    var values: [Result<ClericalRun, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
