import Foundation
import GRDB
import XCTest

/// A screen whose terminal goes away (SSH drops, `tmux kill-session`) ends within a second or
/// two and hands back its pair, whether or not SIGHUP reaches it: it never spins on a dead terminal.
final class HangUpTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("hangup.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder()
        XCTAssertEqual(try Binary.importFixture(into: queue, band: "0.001:0.999999").status, 0)
    }

    override func tearDown() {
        for pid in processes(matching: queue) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }

    func claims() throws -> Int {
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        return try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM pair WHERE state = 'claimed'") ?? 0 }
    }

    /// With SIGHUP (the terminal is the process's own) and without it (`setsid`: the terminal
    /// is only its standard input and output, as under some session managers).
    func testTheReviewScreenEndsAndReleasesItsClaimWhenTheTerminalGoesAway() throws {
        for prefix in ["", "/usr/bin/setsid -w "] {
            let tmux = try TmuxSession("\(prefix)\(Binary.clerical.path) review \(queue)")
            XCTAssertTrue(tmux.waitFor("pair 1 of"))
            XCTAssertEqual(try claims(), 1)
            tmux.hangUp()
            XCTAssertTrue(waitUntilGone("review \(queue)", seconds: 2), "\(prefix.isEmpty ? "with" : "without") SIGHUP: still running after the hang-up")
            XCTAssertEqual(try claims(), 0, "the pair in hand went back to the queue")
        }
    }

    func testTheDashboardEndsWhenTheTerminalGoesAway() throws {
        for prefix in ["", "/usr/bin/setsid -w "] {
            let tmux = try TmuxSession("\(prefix)\(Binary.clerical.path) dashboard \(queue)")
            XCTAssertTrue(tmux.waitFor("clerical dashboard"))
            tmux.hangUp()
            XCTAssertTrue(waitUntilGone("dashboard \(queue)", seconds: 2), "\(prefix.isEmpty ? "with" : "without") SIGHUP: still running after the hang-up")
        }
    }

    /// SIGTERM ends either screen at any time, with 128 + 15, the review screen's pair handed back.
    func testSIGTERMEndsEitherScreen() throws {
        for (command, ready) in [("review", "pair 1 of"), ("dashboard", "clerical dashboard")] {
            let status = folder.appendingPathComponent("\(command).status").path
            let tmux = try TmuxSession("sh -c '\(Binary.clerical.path) \(command) \(queue); echo $? > \(status).part; mv \(status).part \(status); sleep 30'")
            defer { tmux.hangUp() }
            XCTAssertTrue(tmux.waitFor(ready))
            let pids = processes(matching: "\(command) \(queue)").filter { pid in
                (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("clerical") == true
            }
            XCTAssertEqual(pids.count, 1, "one \(command) process")
            for pid in pids { kill(pid, SIGTERM) }
            // The shell around it reaps it and writes its status.
            let deadline = Date().addingTimeInterval(2)
            while !FileManager.default.fileExists(atPath: status), Date() < deadline { usleep(20_000) }
            XCTAssertTrue(pids.allSatisfy { !FileManager.default.fileExists(atPath: "/proc/\($0)") }, "\(command) still running after SIGTERM")
            XCTAssertEqual(try String(contentsOfFile: status, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), "143")
            XCTAssertEqual(try claims(), 0, "no claim is left behind")
        }
    }
}
