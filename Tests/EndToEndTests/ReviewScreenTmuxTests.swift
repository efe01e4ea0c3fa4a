import Foundation
import GRDB
import XCTest

/// The review screen as reviewers meet it: the built binary in tmux.
final class ReviewScreenTmuxTests: XCTestCase {
    var folder: URL!
    var queue: String!
    let fixtures = Binary.checkout.appendingPathComponent("Tests/ClericalTUITests/Fixtures")

    override func setUpWithError() throws {
        folder = temporaryFolder()
        queue = folder.appendingPathComponent("review.db").path
        let run = try Binary.run(["import", queue, fixtures.appendingPathComponent("predictions.csv").path,
                                  "--model", fixtures.appendingPathComponent("model.json").path, "--review-probability", "0:1"])
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    var review: String { "\(Binary.clerical.path) review \(queue!)" }

    /// Reads the queue file directly, as an auditor would.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        return try db.read(body)
    }

    func decisions() throws -> [Row] {
        try read { try Row.fetchAll($0, sql: "SELECT pair_id, verdict, note FROM decision ORDER BY id") }
    }

    func states() throws -> [String: Int] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM pair GROUP BY state").map {
                ($0["state"] as String, $0["n"] as Int)
            })
        }
    }

    func testDecideSkipUndoNoteAndQuit() throws {
        let tmux = try TmuxSession(review)
        tmux.waitFor("pair 1 of 5")
        tmux.send("m"); tmux.waitFor("Saved: match")
        tmux.send("n"); tmux.waitFor("Saved: non-match")
        tmux.send("s"); tmux.waitFor("Skipped pair")
        tmux.send("u"); tmux.waitFor("Saved: unsure")
        tmux.send("z"); tmux.waitFor("Undone")
        tmux.send("c"); tmux.waitFor("Enter saves")
        tmux.type("Zoë 王 twin?")
        tmux.send("Enter"); tmux.waitFor("Note: Zoë 王 twin?")
        tmux.send("m"); tmux.waitFor("Saved: match")
        tmux.send("q"); tmux.waitFor("EXIT=0")
        // The line on quit: verdicts standing from this session (the undone one is not), the pace, what is left.
        let screen = tmux.capture()
        XCTAssertTrue(screen.contains("This session: 3 verdicts, median ") && screen.contains(" s a verdict; 2 pairs left to review."), screen)

        let rows = try decisions()
        XCTAssertEqual(rows.map { $0["verdict"] as String? }, ["match", "non-match", "unsure", nil, "match"])
        XCTAssertEqual(rows[4]["note"] as String?, "Zoë 王 twin?")
        XCTAssertEqual(rows[2]["pair_id"] as Int64, rows[4]["pair_id"] as Int64, "the undone pair came back and was decided again")
        XCTAssertEqual(try states(), ["decided": 3, "pending": 2], "the skipped pair and the one on screen at quit are back in the queue")
    }

    /// The candidates fixture (records with several candidates) imported by the binary.
    func importCandidates() throws -> String {
        let candidates = folder.appendingPathComponent("candidates.db").path
        let run = try Binary.run(["import", candidates, fixtures.appendingPathComponent("candidates.csv").path,
                                  "--model", fixtures.appendingPathComponent("model.json").path, "--review-probability", "0:1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return candidates
    }

    /// Jumping to another candidate of a record on screen, then deciding it: the verdict is on
    /// the candidate, and the pair that was in hand is back in the queue.
    func testJumpingToAnotherCandidate() throws {
        let candidates = try importCandidates()
        let tmux = try TmuxSession("\(Binary.clerical.path) review \(candidates)")
        tmux.waitFor("also pairs with")
        func pairInHand() -> Int64? {
            let header = tmux.capture().split(separator: "\n").dropFirst().first ?? ""
            return header.split(separator: "#").last.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        }
        let first = try XCTUnwrap(pairInHand())
        tmux.send("1"); tmux.waitFor("Jumped from pair #\(first)")
        let jumped = try XCTUnwrap(pairInHand())
        XCTAssertNotEqual(jumped, first)
        tmux.send("m"); tmux.waitFor("Saved: match")
        tmux.send("q"); tmux.waitFor("EXIT=0")

        let db = try DatabaseQueue(path: candidates)
        defer { try? db.close() }
        try db.read { db in
            XCTAssertEqual(try Int64.fetchAll(db, sql: "SELECT pair_id FROM decision"), [jumped], "the verdict is on the candidate jumped to")
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT state FROM pair WHERE id = ?", arguments: [first]), "pending")
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM claim"), 0, "every claim handed back on quit")
        }
    }

    /// Masked review: values hidden where they agree, r reveals the selected row and R the
    /// pair, each a row of the reveal log before it shows; `verify` checks the log.
    func testMaskedReviewRevealsAreLogged() throws {
        let tmux = try TmuxSession("\(review) --mask")
        tmux.waitFor("MASKED")
        XCTAssertTrue(tmux.capture().contains("••"), tmux.capture())
        tmux.send("j"); tmux.send("r"); tmux.waitFor("Revealed this row (logged)")
        tmux.send("R"); tmux.waitFor("Revealed the whole pair (logged)")
        tmux.send("m"); tmux.waitFor("Saved: match")
        tmux.send("q"); tmux.waitFor("EXIT=0")

        let rows = try read { try Row.fetchAll($0, sql: "SELECT r.pair_id, r.field, d.pair_id AS decided FROM reveal r, decision d ORDER BY r.id") }
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows.map { $0["pair_id"] as Int64 }, rows.map { $0["decided"] as Int64 }, "the reveals are of the pair decided")
        XCTAssertNotNil(rows[0]["field"] as String?, "r names the field")
        XCTAssertNil(rows[1]["field"] as String?, "R is the whole pair")
        let verify = try Binary.run(["verify", queue])
        XCTAssertTrue(verify.stdout.contains("2 reveals chained"), verify.stdout)
    }

    /// A supervisor makes masking the queue's default: review is masked without --mask.
    func testMaskingAsTheQueuesDefault() throws {
        XCTAssertEqual(try Binary.run(["reviewers", "mask", queue, "on"]).status, 0)
        let tmux = try TmuxSession(review)
        tmux.waitFor("MASKED")
        tmux.send("q"); tmux.waitFor("EXIT=0")
        XCTAssertEqual(try Binary.run(["reviewers", "mask", queue, "off"]).status, 0)
        let unmasked = try TmuxSession(review)
        unmasked.waitFor("pair 1 of 5")
        XCTAssertFalse(unmasked.capture().contains("MASKED"))
    }

    /// One-record review in the real binary: a single candidate decided by its key, a group of
    /// three chosen and confirmed, then undone whole; the file holds each step.
    func testByRecordWithUndo() throws {
        let candidates = try importCandidates()
        let tmux = try TmuxSession("\(Binary.clerical.path) review \(candidates) --by-record")
        tmux.waitFor("1 candidate")
        XCTAssertTrue(tmux.capture().contains("CUS-0000103"))
        tmux.send("1"); tmux.waitFor("3 candidates")
        XCTAssertTrue(tmux.capture().contains("CUS-0000101"))
        tmux.send("2"); tmux.waitFor("Candidate 2 is the match")
        tmux.send("Enter"); tmux.waitFor("Saved: 1 match, 2 non-matches")
        tmux.send("z"); tmux.waitFor("Undone: the verdicts on CUS-0000101")
        tmux.send("q"); tmux.waitFor("EXIT=0")

        let db = try DatabaseQueue(path: candidates)
        defer { try? db.close() }
        try db.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT pair_id, verdict FROM decision ORDER BY id")
            XCTAssertEqual(rows.map { $0["verdict"] as String? }, ["match", "non-match", "match", "non-match", nil, nil, nil])
            XCTAssertEqual(Set(rows.suffix(3).map { $0["pair_id"] as Int64 }), [1, 2, 3], "the whole group withdrawn")
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT state FROM pair WHERE id IN (1, 2, 3)"), ["pending", "pending", "pending"],
                           "taken back, then handed back on quit")
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM claim"), 0)
        }
        XCTAssertTrue(tmux.capture().contains("This session: 1 verdict"), tmux.capture())

        // Masking has no pair to mask against here: refused with a line, nothing claimed.
        let masked = try Binary.run(["review", candidates, "--by-record", "--mask"], environment: ["TERM": "xterm"])
        XCTAssertEqual(masked.status, 64, masked.stderr)
        XCTAssertTrue(masked.stderr.contains("--by-record cannot be masked"), masked.stderr)
    }

    /// The same golden text as the buffer test, bar the header line (account and file name).
    func testScreenMatchesTheGoldenScreen() throws {
        let tmux = try TmuxSession(review)
        tmux.waitFor("pair 1 of 5")
        let golden = try String(contentsOf: Binary.checkout.appendingPathComponent("Tests/ClericalTUITests/__Snapshots__/pair-120x40.txt"), encoding: .utf8)
        let expected = golden.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map { $0.trimmingSuffix() }
        let actual = tmux.capture().split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map { $0.trimmingSuffix() }
        XCTAssertEqual(Array(actual.prefix(38)), Array(expected.prefix(38)))
    }

    func testSIGKILLLosesNoAcknowledgedVerdict() throws {
        let tmux = try TmuxSession(review)
        tmux.waitFor("pair 1 of 5")
        tmux.send("m"); tmux.waitFor("Saved: match")
        tmux.send("u"); tmux.waitFor("Saved: unsure")
        tmux.send("n"); tmux.waitFor("Saved: non-match")
        try tmux.signal("KILL")
        tmux.waitFor("EXIT=137")
        XCTAssertEqual(try decisions().map { $0["verdict"] as String? }, ["match", "unsure", "non-match"])

        // Reopened, the queue goes on where it stopped; the pair that was in hand comes back.
        let again = try TmuxSession(review)
        again.waitFor("pair 4 of 5")
        XCTAssertTrue(again.capture().contains("decided 3"))
    }

    func testSignalsRestoreTheTerminal() throws {
        for (signal, status) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
            let tmux = try TmuxSession(review)
            tmux.waitFor("pair 1 of 5")
            if signal == "INT" {
                tmux.send("C-c")
            } else {
                try tmux.signal(signal)
            }
            tmux.waitFor("EXIT=\(status)")
            XCTAssertFalse(tmux.capture().contains("match weight"), "the review screen was left on the terminal after SIG\(signal)")
            XCTAssertEqual(try states()["claimed"], nil, "the pair in hand was released on SIG\(signal)")
        }
    }

    /// The README's first command: the demo imports the sample and opens it for review.
    func testDemoOpensTheSampleQueueForReview() throws {
        let demoQueue = folder.appendingPathComponent("demo.db").path
        let tmux = try TmuxSession("cd \(Binary.checkout.path) && \(Binary.clerical.path) demo --queue \(demoQueue)")
        tmux.waitFor("pair 1 of 36")
        tmux.send("m"); tmux.waitFor("Saved: match")
        tmux.send("q"); tmux.waitFor("EXIT=0")
        XCTAssertTrue(tmux.capture().contains("Your verdicts are in \(demoQueue)"))
        queue = demoQueue
        XCTAssertEqual(try read { try Int.fetchOne($0, sql: "SELECT count(*) FROM decision WHERE verdict = 'match'") }, 1)
    }

    func testResize() throws {
        let tmux = try TmuxSession(review, width: 100, height: 30)
        tmux.waitFor("match weight")
        tmux.resize(width: 70, height: 20)
        tmux.waitFor("Enlarge the window to at least 80×24")
        tmux.resize(width: 130, height: 45)
        tmux.waitFor("Exact match on given_name")
        XCTAssertFalse(tmux.capture().contains("Enlarge"))
    }

    /// Record values holding escape sequences (set title, clear screen, hide cursor, colours,
    /// DCS) are shown as placeholders and never reach the terminal. With NO_COLOR the screen
    /// carries no colour at all, so any colour would have come from a record.
    func testEscapeSequencesInRecordsDoNotReachTheTerminal() throws {
        let tmux = try TmuxSession(review, environment: ["NO_COLOR": "1"])
        tmux.waitFor("pair 1 of 5")
        let title = tmux.paneValue("#{pane_title}")
        for _ in 0..<4 where !tmux.capture().contains("PRO-0000707") {
            tmux.send("s")
            Thread.sleep(forTimeInterval: 0.3)
        }
        tmux.waitFor("␛]0;pwned␇Eve")
        XCTAssertTrue(tmux.capture().contains("␛[2J␛[?25l1 Forge"))
        XCTAssertEqual(tmux.paneValue("#{pane_title}"), title, "a record changed the terminal title")
        XCTAssertTrue(tmux.capture().contains("match weight"), "a record cleared the screen")
        // Every SGR parameter on screen: 39/49 (default colours) are fine, any real colour is not.
        let escapes = tmux.capture(escapes: true)
        let sgr = try NSRegularExpression(pattern: "\u{1B}\\[([0-9;]*)m")
        let colours = sgr.matches(in: escapes, range: NSRange(escapes.startIndex..., in: escapes)).flatMap { match -> [Int] in
            let parameters = String(escapes[Range(match.range(at: 1), in: escapes)!])
            return parameters.split(separator: ";").compactMap { Int($0) }.filter {
                (30...38).contains($0) || (40...48).contains($0) || (90...97).contains($0) || (100...107).contains($0)
            }
        }
        XCTAssertEqual(colours, [], "colour reached the terminal with NO_COLOR set")
    }

    func testTerminalProblemsGetClearMessages() throws {
        let unknown = try TmuxSession("TERM=no-such-terminal \(review)")
        unknown.waitFor("EXIT=78")
        XCTAssertTrue(unknown.capture().contains("TERM=no-such-terminal is not a terminal type this system knows"))

        let unset = try TmuxSession("env -u TERM \(review)")
        unset.waitFor("EXIT=78")
        XCTAssertTrue(unset.capture().contains("TERM is not set"))

        let notATerminal = try Binary.run(["review", queue])
        XCTAssertEqual(notATerminal.status, 64)
        XCTAssertTrue(notATerminal.stderr.contains("needs a terminal"), notATerminal.stderr)

        // No UTF-8 locale in the environment: C.UTF-8 is used, and names still render.
        let noLocale = try TmuxSession("LANG=C LC_ALL=C \(review)")
        noLocale.waitFor("王秀英")
        noLocale.send("q")
        noLocale.waitFor("EXIT=0")
    }

    func testThemesAndBlindFromTheCommandLine() throws {
        let blind = try TmuxSession("\(review) --blind --theme colour-blind-safe")
        blind.waitFor("Blind: the model's evidence is hidden")
        XCTAssertFalse(blind.capture().contains("match weight"))
        blind.send("t"); blind.waitFor("Theme: monochrome")
        blind.send("b"); blind.waitFor("match weight")

        let badTheme = folder.appendingPathComponent("bad.toml")
        try "name = \"bad\"\n[roles]\nagree = { fg = \"grean\" }\n".write(to: badTheme, atomically: true, encoding: .utf8)
        let run = try Binary.run(["review", queue, "--theme", badTheme.path])
        XCTAssertEqual(run.status, 65)
        XCTAssertTrue(run.stderr.contains("bad.toml: roles.agree.fg: not a colour"), run.stderr)
    }
}

extension Substring {
    func trimmingSuffix() -> String {
        var text = String(self)
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
