import ClericalCore
import ClericalStore
@testable import ClericalTUI
import Foundation
import GRDB
import XCTest

/// One-record review on the candidates fixture: CUS-0000103 has one pending candidate,
/// CUS-0000101 three.
final class ByRecordTests: XCTestCase {
    var folder: URL!
    var queuePath: String!

    override func setUpWithError() throws {
        (folder, queuePath) = try importedQueue("candidates.csv", named: "by-record")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func started(width: Int = 120, height: Int = 40) throws -> ReviewLoop {
        var state = ReviewState(queueName: "by-record.db", reviewer: "ana", width: width, height: height, blind: false, themeName: "default")
        state.byRecord = true
        let loop = ScreenLoop(ReviewApp.self, state: state, session: ReviewSession(queue: try ReviewQueue(path: queuePath, reviewer: "ana")))
        loop.start()
        return loop
    }

    func rows(_ sql: String) throws -> [Row] {
        let db = try DatabaseQueue(path: queuePath)
        defer { try? db.close() }
        return try db.read { try Row.fetchAll($0, sql: sql) }
    }

    func testChooseConfirmUndoAndKeepTheOthersUndecided() throws {
        let screen = try started()
        // The queue's least certain pair first: its record has one candidate, so a key decides it.
        XCTAssertEqual(screen.state.group?.record.uniqueID, "CUS-0000103")
        XCTAssertEqual(screen.state.group?.pairIDs, [5])
        screen.press([.character("1")])
        XCTAssertEqual(screen.state.message?.text, "Saved: 1 match, 0 non-matches")

        // CUS-0000101 with its three candidates, most probable first, all claimed at once.
        let group = try XCTUnwrap(screen.state.group)
        XCTAssertEqual(group.record.uniqueID, "CUS-0000101")
        XCTAssertEqual(group.pairIDs, [2, 1, 3])
        XCTAssertEqual(try rows("SELECT pair_id FROM claim ORDER BY pair_id").map { $0[0] as Int64 }, [1, 2, 3], "one claim covers the group")
        assertSnapshot(screen.frame().text(), named: "by-record-120x40")

        // 2 is pair 1: chosen, then the confirm step; Enter makes the others non-matches.
        screen.press([.character("2")])
        XCTAssertEqual(screen.state.groupChoice, .match(1))
        XCTAssertEqual(screen.state.keyScreen, .groupConfirm)
        assertSnapshot(screen.frame().text(), named: "by-record-confirm-120x40")
        screen.press([.enter])
        XCTAssertEqual(screen.state.message?.text, "Saved: 1 match, 2 non-matches")
        let verdicts = try rows("SELECT pair_id, verdict FROM decision WHERE pair_id IN (1, 2, 3) ORDER BY pair_id")
        XCTAssertEqual(verdicts.map { $0["verdict"] as String? }, ["match", "non-match", "non-match"], "a decision row per candidate")

        // Undo takes the whole group back: a withdrawal for each, all three claimed again.
        screen.press([.character("z")])
        XCTAssertEqual(screen.state.group?.pairIDs, [2, 1, 3])
        XCTAssertEqual(try rows("SELECT count(*) FROM decision WHERE pair_id IN (1, 2, 3) AND verdict IS NULL")[0][0] as Int, 3)
        XCTAssertEqual(try rows("SELECT state FROM pair WHERE id IN (1, 2, 3)").map { $0[0] as String }, ["claimed", "claimed", "claimed"])

        // This time 1 (pair 2) matches and the others stay undecided: they go back to the queue.
        screen.press([.character("1"), .character("k")])
        XCTAssertEqual(screen.state.message?.text, "Saved: 1 match, 0 non-matches; the others are back in the queue")
        let states = try rows("SELECT id, state FROM pair WHERE id IN (1, 2, 3) ORDER BY id").map { $0["state"] as String }
        XCTAssertEqual(states[1], "decided")
        XCTAssertTrue(states[0] != "decided" && states[2] != "decided", "\(states)")
        screen.handle(.terminalGone(exitStatus: 129))
        XCTAssertEqual(try rows("SELECT count(*) FROM claim")[0][0] as Int, 0, "the group in hand went back on the way out")
    }

    /// n says none matches; Esc takes a choice back; the help lists this mode's keys.
    func testNoneMatchesEscapeAndHelp() throws {
        let screen = try started(width: 80, height: 24)
        screen.press([.character("1")])  // CUS-0000103's single candidate
        screen.press([.character("n")])
        XCTAssertEqual(screen.state.groupChoice, GroupChoice.none)
        screen.press([.escape])
        XCTAssertNil(screen.state.groupChoice)
        screen.press([.character("n"), .enter])
        XCTAssertEqual(screen.state.message?.text, "Saved: 0 matches, 3 non-matches")
        screen.press([.character("?")])
        let help = screen.frame().text()
        for binding in Action.byRecordBindings { XCTAssertTrue(help.contains(binding.help), binding.help) }
        assertSnapshot(help, named: "by-record-help-80x24")
    }
}
