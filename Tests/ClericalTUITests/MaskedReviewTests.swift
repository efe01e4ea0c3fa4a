import ClericalCore
import ClericalStore
@testable import ClericalTUI
import Foundation
import GRDB
import XCTest

/// Masked review on the names fixture (Chinese, Irish, Vietnamese, Arabic): golden screens,
/// and reveals logged before they show.
final class MaskedReviewTests: XCTestCase {
    var folder: URL!
    var queuePath: String!

    override func setUpWithError() throws {
        (folder, queuePath) = try importedQueue("predictions.csv", named: "masked")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func started(width: Int, height: Int) throws -> ReviewLoop {
        var state = ReviewState(queueName: "masked.db", reviewer: "ana", width: width, height: height, blind: false, themeName: "default")
        state.masked = true
        let loop = ScreenLoop(ReviewApp.self, state: state, session: ReviewSession(queue: try ReviewQueue(path: queuePath, reviewer: "ana")))
        loop.start()
        return loop
    }

    /// Every pair of the fixture, masked, at both sizes: the masks keep each value's width, so
    /// the columns line up whatever the script.
    func testMaskedPairsKeepTheLayoutInEveryScript() throws {
        let queue = try ReviewQueue(path: queuePath, reviewer: "ana")
        defer { queue.close() }
        for (width, height) in [(80, 24), (120, 40)] {
            for id in Int64(1)...5 where id != 4 {
                var state = ReviewState(queueName: "masked.db", reviewer: "ana", width: width, height: height, blind: false, themeName: "default")
                state.masked = true
                state.live = try queue.pair(id)
                let frame = ReviewView.render(state)
                let text = frame.text()
                assertSnapshot(text, named: "masked-\(id)-\(width)x\(height)")
                // Each row's right value starts in the same column as its heading, in every script.
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let pair = try XCTUnwrap(state.live)
                let columns = ReviewView.columns(pair, state)
                for (row, field) in ReviewView.fieldRows(pair).enumerated() {
                    let y = 4 + ContextPanel.linkLines(pair).count + row
                    guard y < ReviewView.bottom(state), let value = pair.right.values[field] else { continue }
                    let masked = MaskedText.mask(pair.left.values[field].map(DisplayText.sanitized), DisplayText.sanitized(value)).right!.text
                    XCTAssertEqual(frame.text(x: columns.rightX, y: y), String(masked.first!), "\(lines[y])")
                }
            }
        }
        // Pair 1's surnames agree: nothing of them shows.
        var state = ReviewState(queueName: "masked.db", reviewer: "ana", width: 120, height: 40, blind: false, themeName: "default")
        state.masked = true
        state.live = try queue.pair(1)
        XCTAssertFalse(ReviewView.render(state).text().contains("王"), "agreeing values are masked whole")
    }

    /// Names written with combining marks (decomposed) beside their precomposed forms and
    /// other spellings: one glyph per cell hidden, so the columns stay where they are.
    func testCombiningMarksKeepTheirCells() throws {
        let queue = try ReviewQueue(path: queuePath, reviewer: "ana")
        defer { queue.close() }
        for (width, height) in [(80, 24), (120, 40)] {
            var state = ReviewState(queueName: "masked.db", reviewer: "ana", width: width, height: height, blind: false, themeName: "default")
            state.masked = true
            var pair = try queue.pair(2)
            pair.left.values[0] = "Sio\u{301}bha\u{301}n"   // decomposed
            pair.right.values[0] = "Siobhán"                   // precomposed
            pair.left.values[1] = "Nguye\u{302}\u{303}n"
            pair.right.values[1] = "Nguyen"
            state.live = pair
            let frame = ReviewView.render(state)
            let columns = ReviewView.columns(pair, state)
            for y in 4..<8 where !frame.text(x: columns.rightX, y: y).isEmpty {
                XCTAssertNotEqual(frame.text(x: columns.rightX, y: y), " ", "row \(y): the right column starts where it should")
            }
            assertSnapshot(frame.text(), named: "masked-combining-\(width)x\(height)")
        }
    }

    /// r reveals the selected row, R the whole pair, each logged (who, pair, field) before it
    /// shows; the log verifies, and a reveal changed behind the tool's back is found.
    func testRevealsAreLoggedAndChained() throws {
        let screen = try started(width: 120, height: 40)
        let pair = try XCTUnwrap(screen.state.live)
        let firstField = ReviewView.fieldRows(pair)[0]
        let firstValue = try XCTUnwrap(pair.left.values[firstField])
        screen.press([.character("r")])
        XCTAssertEqual(screen.state.revealedFields, [firstField])
        XCTAssertTrue(screen.frame().text().contains(firstValue))
        screen.press([.down, .character("r"), .character("R")])
        XCTAssertTrue(screen.state.revealedAll)
        XCTAssertFalse(screen.frame().text().contains("•"), "the whole pair shows")
        screen.press([.character("m")])
        XCTAssertNotEqual(screen.state.live?.id, pair.id)
        XCTAssertTrue(screen.frame().text().contains("•"), "the next pair starts masked")
        screen.session.queue.close()

        let db = try DatabaseQueue(path: queuePath)
        let reveals = try db.read { try Row.fetchAll($0, sql: "SELECT pair_id, reviewer, field FROM reveal ORDER BY id") }
        XCTAssertEqual(reveals.map { $0["pair_id"] as Int64 }, [pair.id, pair.id, pair.id])
        XCTAssertEqual(reveals.map { $0["reviewer"] as String }, ["ana", "ana", "ana"])
        XCTAssertEqual(reveals.map { $0["field"] as String? }, [pair.fields[firstField], pair.fields[ReviewView.fieldRows(pair)[1]], nil])
        XCTAssertEqual(try QueueVerification.run(queue: queuePath).reveals, 3)
        // The decisions export carries what was revealed before each verdict; the agreement report counts it.
        let log = folder.appendingPathComponent("decisions.csv").path
        _ = try Exports.write(.decisions(try Exports.DecisionFormat(path: log)), queue: queuePath, to: log)
        let exported = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(exported[0].hasSuffix(",revealed"))
        XCTAssertTrue(exported[1].hasSuffix(",\(pair.fields[firstField]);\(pair.fields[ReviewView.fieldRows(pair)[1]]);*"), "\(exported[1])")
        XCTAssertEqual(try QualityReview.report(queue: queuePath).reveals,
                       [RevealSummary(reviewer: "ana", reveals: 3, pairsRevealed: 1, pairsDecided: 1)])
        XCTAssertTrue(try QueueVerification.run(queue: queuePath).isSound)
        XCTAssertThrowsError(try db.write { try $0.execute(sql: "DELETE FROM reveal") }, "append-only")
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER reveal_is_append_only_update")
            try db.execute(sql: "UPDATE reveal SET field = NULL WHERE id = 1")
        }
        try db.close()
        let report = try QueueVerification.run(queue: queuePath)
        XCTAssertTrue(report.problems.contains { $0.contains("reveal_is_append_only_update is missing") }, "\(report.problems)")
        XCTAssertTrue(report.problems.contains { $0.contains("reveal 1: its content does not match its hash") }, "\(report.problems)")
    }
}
