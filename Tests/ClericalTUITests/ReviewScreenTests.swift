import ClericalCore
import ClericalStore
@testable import ClericalTUI
import Foundation
import XCTest

/// Golden screens of the review screen, drawn from a real queue imported from a small
/// Splink 5 file with names in several scripts.
final class ReviewScreenTests: XCTestCase {
    var folder: URL!
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-tui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        setUpQueue()
    }

    func setUpQueue() {
        XCTAssertNoThrow(try SplinkImporter.run(queue: queuePath, predictions: Self.fixtures.appendingPathComponent("predictions.csv").path,
                                                model: Self.fixtures.appendingPathComponent("model.json").path,
                                                band: .probability(low: 0, high: 1)))
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    var queuePath: String { folder.appendingPathComponent("review.db").path }

    /// The review screen's own loop (as `clerical review` runs it, without the terminal),
    /// started as a reviewer would start it: the first pair claimed.
    func started(width: Int, height: Int, blind: Bool = false, reviewer: String = "ana",
                 mode: ReviewQueue.Mode = .review, leaseSeconds: Double = 120) throws -> ReviewLoop {
        let session = ReviewSession(queue: try ReviewQueue(path: queuePath, reviewer: reviewer, leaseSeconds: leaseSeconds, mode: mode))
        let loop = ScreenLoop(ReviewApp.self, state: ReviewState(queueName: "review.db", reviewer: reviewer, width: width, height: height,
                                                                 blind: blind, themeName: "default"),
                              session: session)
        loop.start()
        return loop
    }

    func testPairWithNonLatinNames() throws {
        for (width, height) in [(80, 24), (120, 40)] {
            let state = try started(width: width, height: height).state
            XCTAssertEqual(state.live?.left.values.first, "王秀英")
            assertSnapshot(ReviewView.render(state).text(), named: "pair-\(width)x\(height)")
        }
    }

    /// ana decides a pair with a note; it is sampled; bo meets it as a blind second review.
    func secondReviewScreen(width: Int, height: Int) throws -> ReviewLoop {
        let first = try ReviewQueue(path: queuePath, reviewer: "ana")
        let pair = try XCTUnwrap(first.claimNext())
        try first.decide(pair.id, .match, note: "same person, moved house", shown: pair.score)
        first.close()
        _ = try QualityReview.sample(queue: queuePath, SampleRequest(size: .count(1)))
        let screen = try started(width: width, height: height, reviewer: "bo")
        XCTAssertEqual(screen.state.live?.id, pair.id, "the second review comes first")
        return screen
    }

    func testSecondReviewIsBlindToTheModelAndTheFirstVerdict() throws {
        for (width, height) in [(80, 24), (120, 40)] {
            try? FileManager.default.removeItem(atPath: queuePath)
            setUpQueue()
            let state = try secondReviewScreen(width: width, height: height).state
            XCTAssertEqual(state.live?.kind, .secondReview)
            let text = ReviewView.render(state).text()
            XCTAssertTrue(text.contains("SECOND REVIEW"), text)
            for hidden in ["weight", "probability", "Exact", "JW", "█│", "│█", "ana", "moved house", "match ·", "comparison vector"] {
                XCTAssertFalse(text.contains(hidden), "the second review shows «\(hidden)»")
            }
            assertSnapshot(text, named: "second-review-\(width)x\(height)")
        }
    }

    /// A pair drawn for an audit of the model's decisions comes blind and unmarked, whatever
    /// the reviewer chose, and its verdict records no score as shown.
    func testAuditPairsAreBlindAndUnmarked() throws {
        try? FileManager.default.removeItem(atPath: queuePath)
        _ = try SplinkImporter.run(queue: queuePath, predictions: Self.fixtures.appendingPathComponent("predictions.csv").path,
                                   model: Self.fixtures.appendingPathComponent("model.json").path,
                                   band: .probability(low: 0.5, high: 0.5000001))
        var request = AuditRequest(size: .count(2))
        request.share = 1
        _ = try QualityAudit.draw(queue: queuePath, request, by: "quinn")
        for (width, height) in [(80, 24), (120, 40)] {
            let screen = try started(width: width, height: height, blind: false)
            let state = screen.state
            XCTAssertEqual(state.live?.isAudit, true)
            XCTAssertFalse(state.blind, "the reviewer's own setting is left alone")
            let text = ReviewView.render(state).text()
            for hidden in ["weight", "probability", "Exact", "JW", "█│", "│█", "AUDIT", "SECOND REVIEW"] {
                XCTAssertFalse(text.contains(hidden), "an audit pair shows «\(hidden)»")
            }
            if width == 120 {
                screen.press([.character("m")])
                let log = folder.appendingPathComponent("decisions.csv").path
                _ = try Exports.write(.decisions(try Exports.DecisionFormat(path: log)), queue: queuePath, to: log)
                let last = try XCTUnwrap(String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last)
                // …,verdict,note,decided_at,shown_match_weight,shown_match_probability,revealed
                let fields = last.split(separator: ",", omittingEmptySubsequences: false)
                XCTAssertEqual(fields[8], "match")
                XCTAssertEqual(fields.suffix(3), ["", "", ""], "no score was shown, nothing revealed: \(last)")
            }
            screen.session.queue.close()
        }
    }

    func testAdjudicationShowsBothVerdictsAndNotes() throws {
        let second = try secondReviewScreen(width: 120, height: 40)
        let pairID = second.state.live?.id
        second.press([.character("n")])  // bo disagrees: the pair is disputed
        let adjudication = try started(width: 120, height: 40, reviewer: "quinn", mode: .adjudicate)
        XCTAssertEqual(adjudication.state.live?.kind, .adjudication)
        XCTAssertEqual(adjudication.state.live?.id, pairID)
        let text = adjudication.frame().text()
        XCTAssertTrue(text.contains("ADJUDICATION"), text)
        XCTAssertTrue(text.contains("1st ana: match “same person, moved house”  ·  2nd bo: non-match"), text)
        assertSnapshot(text, named: "adjudication-120x40")
    }

    func testBlindHidesAllModelEvidence() throws {
        for (width, height) in [(80, 24), (120, 40)] {
            let text = try started(width: width, height: height, blind: true).frame().text()
            for hidden in ["weight", "probability", "exact", "Exact", "JW", "+", "█│", "│█"] {
                XCTAssertFalse(text.contains(hidden), "blind screen shows «\(hidden)»")
            }
            assertSnapshot(text, named: "pair-blind-\(width)x\(height)")
        }
        // The key toggles it too.
        let screen = try started(width: 80, height: 24)
        screen.press([.character("b")])
        XCTAssertTrue(screen.state.blind)
        XCTAssertEqual(screen.frame().text(), try started(width: 80, height: 24, blind: true).state.withMessage(nil).rendered)
    }

    func testMonochromeKeepsMeaningInAttributesAndSymbols() throws {
        let state = try started(width: 80, height: 24).state
        let theme = try Theme.load("monochrome")
        XCTAssertTrue(theme.looks.values.allSatisfy { $0.foreground == .terminalDefault && $0.background == .terminalDefault })
        assertSnapshot(ReviewView.render(state).annotated(with: theme), named: "pair-monochrome-80x24")
    }

    func testHelpOverlayListsEveryAction() throws {
        let screen = try started(width: 80, height: 24)
        screen.press([.character("?")])
        let text = screen.frame().text()
        for binding in Action.reviewBindings { XCTAssertTrue(text.contains(binding.help), binding.help) }
        XCTAssertEqual(Action.reviewBindings.count, 17, "every review action, and none of the dashboard's")
        assertSnapshot(text, named: "help-80x24")
        screen.press([.character("m")])  // any key closes help and does nothing else
        XCTAssertFalse(screen.state.showingHelp)
        XCTAssertEqual(try screen.session.queue.counts().decided, 0)
    }

    func testNoteEditor() throws {
        let screen = try started(width: 80, height: 24)
        screen.press([.character("c")] + "Zoë 王 twin?".map { Key.character($0) } + [.backspace, .character("!")])
        assertSnapshot(screen.frame().text(), named: "note-editor-80x24")
        screen.press([.enter])
        XCTAssertEqual(screen.state.draftNote, "Zoë 王 twin!")
        screen.press([.character("c"), .character("x"), .escape])
        XCTAssertEqual(screen.state.draftNote, "Zoë 王 twin!", "Esc cancels")
        screen.press([.character("m")])
        XCTAssertEqual(try screen.session.queue.recentVerdicts().first?.note, "Zoë 王 twin!")
    }

    func testEmptyQueue() throws {
        let screen = try started(width: 80, height: 24)
        screen.press([.character("m"), .character("n"), .character("u"), .character("m"), .character("n")])
        XCTAssertNil(screen.state.live)
        assertSnapshot(screen.frame().text(), named: "empty-80x24")
        screen.press([.character("m"), .character("s"), .character("c")])  // do nothing here
        XCTAssertNil(screen.state.editor)
        XCTAssertEqual(try screen.session.queue.counts().decided, 5)
    }

    func testSkippedPairsComeBackWhenNothingElseIsLeft() throws {
        let screen = try started(width: 80, height: 24)
        let first = try XCTUnwrap(screen.state.live)
        var seen: Set<Int64> = [first.id]
        for _ in 0..<4 {
            screen.press([.character("s")])
            seen.insert(try XCTUnwrap(screen.state.live).id)
        }
        XCTAssertEqual(seen.count, 5, "each skip offers a pair not yet skipped")
        screen.press([.character("s")])
        XCTAssertNotNil(screen.state.live, "with only skipped pairs left, they are offered again")
        XCTAssertTrue(screen.state.skipped.isEmpty)
        XCTAssertEqual(try screen.session.queue.counts().decided, 0)
    }

    func testTooSmallTerminal() throws {
        let state = try started(width: 60, height: 20).state
        assertSnapshot(ReviewView.render(state).text(), named: "too-small-60x20")
    }

    func testEscapeSequencesInValuesBecomePlaceholders() throws {
        let screen = try started(width: 120, height: 40)
        // Walk to the pair whose records hold escape sequences.
        while let live = screen.state.live, live.left.uniqueID != "PRO-0000707" { screen.press([.character("s")]) }
        let buffer = screen.frame()
        for grapheme in buffer.graphemes {
            XCTAssertFalse(grapheme.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
                           "a control character reached the screen buffer")
        }
        let text = buffer.text()
        XCTAssertTrue(text.contains("␛]0;pwned␇Eve"), text)
        XCTAssertTrue(text.contains("␛[2J␛[?25l1 Forge"), text)
        XCTAssertTrue(text.contains("1 Forge Lane␉tab"), text)
    }

    /// A verdict's next frame is drawn on another thread while the verdict commits; the loop
    /// hands it out only after the commit, and it is the frame the state draws.
    func testVerdictFrameIsDrawnWhileItCommitsAndMatchesTheState() throws {
        let loop = try started(width: 120, height: 40)
        XCTAssertEqual(loop.frame(), ReviewView.render(loop.state))
        var decided: [Int64] = []
        for key: Character in ["m", "n", "u"] {
            let pairID = try XCTUnwrap(loop.state.live?.id)
            loop.handle(.key(.character(key)))
            decided.append(pairID)
            XCTAssertEqual(loop.framesDrawnAhead, decided.count)
            XCTAssertEqual(loop.frame(), ReviewView.render(loop.state), "the frame drawn ahead is the state's frame")
            XCTAssertEqual(loop.state.message?.text.hasPrefix("Saved:"), true)
            XCTAssertNotEqual(loop.state.live?.id, pairID)
            // On disk, as another connection reads it.
            let elsewhere = try ReviewQueue(path: queuePath, reviewer: "ana")
            XCTAssertEqual(try elsewhere.recentVerdicts().map(\.pairID), decided.reversed())
            elsewhere.close()
        }
        XCTAssertEqual(loop.state.recent.map(\.verdict), [.unsure, .nonMatch, .match])
        // Keys that decide nothing are drawn as before.
        for key: Key in [.character("b"), .character("z"), .left] {
            loop.handle(.key(key))
            XCTAssertEqual(loop.frame(), ReviewView.render(loop.state))
        }
        XCTAssertEqual(loop.framesDrawnAhead, 3)
        XCTAssertEqual(loop.state.recent.count, 2, "z withdrew the last verdict")
    }

    /// Ticks renew the claim in hand; the terminal going away hands it back and ends the screen.
    func testTicksRenewTheClaimAndAHangUpHandsItBack() throws {
        let screen = try started(width: 80, height: 24, leaseSeconds: 1)
        XCTAssertEqual(screen.session.tickSeconds, 0.25)
        for _ in 0..<6 {
            Thread.sleep(forTimeInterval: 0.25)
            screen.handle(.tick)
        }
        XCTAssertNil(screen.state.exitStatus)
        let handle = try QueueHandle(path: queuePath)
        let claims = try handle.team(TeamActivity()).claims
        handle.close()
        XCTAssertEqual(claims.map(\.pairID), [try XCTUnwrap(screen.state.live?.id)])
        XCTAssertGreaterThan(try XCTUnwrap(claims.first).secondsLeft, 0, "1.5 s into a 1 s lease, the ticks kept it alive")
        screen.handle(.terminalGone(exitStatus: 129))
        XCTAssertEqual(screen.state.exitStatus, 129)
        XCTAssertEqual(try screen.session.queue.counts().claimed, 0, "the pair went back to the queue")
        XCTAssertEqual(try screen.session.queue.counts().decided, 0)
    }

    func testVerdictsUndoSkipAndBrowse() throws {
        let screen = try started(width: 80, height: 24)
        let first = try XCTUnwrap(screen.state.live)
        screen.press([.character("m")])
        let second = try XCTUnwrap(screen.state.live)
        XCTAssertNotEqual(first.id, second.id)
        screen.press([.character("s")])
        let third = try XCTUnwrap(screen.state.live)
        XCTAssertNotEqual(third.id, second.id)
        screen.press([.character("n"), .character("z")])
        XCTAssertEqual(screen.state.live?.id, third.id, "undo brings the pair back")
        screen.press([.left])
        XCTAssertEqual(screen.state.browsed?.id, first.id)
        XCTAssertEqual(screen.state.browsed?.verdict, .match)
        screen.press([.character("u")])
        XCTAssertEqual(screen.state.browsed?.verdict, .unsure, "a correction")
        screen.press([.right])
        XCTAssertNil(screen.state.browsed)
        XCTAssertEqual(screen.state.live?.id, third.id)
        let verdicts = try screen.session.queue.recentVerdicts()
        XCTAssertEqual(verdicts.map(\.verdict), [.unsure])
        XCTAssertEqual(verdicts.first?.pairID, first.id)
    }
}

typealias ReviewLoop = ScreenLoop<ReviewApp, ReviewSession>

extension ScreenLoop where Program == ReviewApp {
    /// Keys into the real loop, one at a time, each with every command it asks for performed.
    func press(_ keys: [Key]) {
        for key in keys { handle(.key(key)) }
    }
}

extension ReviewState {
    func withMessage(_ message: StatusMessage?) -> ReviewState {
        var copy = self
        copy.message = message
        return copy
    }

    var rendered: String { ReviewView.render(self).text() }
}
