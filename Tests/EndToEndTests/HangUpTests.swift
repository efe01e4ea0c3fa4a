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
}
