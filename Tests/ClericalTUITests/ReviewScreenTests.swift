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

    /// A session as a reviewer would start it, with the first pair claimed.
    func started(width: Int, height: Int, blind: Bool = false) throws -> (ReviewState, ReviewSession) {
        let session = ReviewSession(queue: try ReviewQueue(path: queuePath, reviewer: "ana"))
        var state = ReviewState(queueName: "review.db", reviewer: "ana", width: width, height: height, blind: blind, themeName: "default")
        XCTAssertEqual(ReviewApp.update(&state, session.start()), [])
        return (state, session)
    }

    func press(_ keys: [Key], _ state: inout ReviewState, _ session: ReviewSession) {
        for key in keys {
            func process(_ event: ReviewEvent) {
                for command in ReviewApp.update(&state, event) {
                    if let result = session.perform(command) { process(result) }
                }
            }
            process(.key(key))
        }
    }

    func testPairWithNonLatinNames() throws {
        for (width, height) in [(80, 24), (120, 40)] {
            let (state, _) = try started(width: width, height: height)
            XCTAssertEqual(state.live?.left.values.first, "王秀英")
            assertSnapshot(ReviewView.render(state).text(), named: "pair-\(width)x\(height)")
        }
    }

    /// ana decides a pair with a note; it is sampled; bo meets it as a blind second review.
    func secondReviewScreen(width: Int, height: Int) throws -> (ReviewState, ReviewSession) {
        let first = try ReviewQueue(path: queuePath, reviewer: "ana")
        let pair = try XCTUnwrap(first.claimNext())
        try first.decide(pair.id, .match, note: "same person, moved house", shown: pair.score)
        first.close()
        _ = try QualityReview.sample(queue: queuePath, SampleRequest(size: .count(1)))
        let session = ReviewSession(queue: try ReviewQueue(path: queuePath, reviewer: "bo"))
        var state = ReviewState(queueName: "review.db", reviewer: "bo", width: width, height: height, blind: false, themeName: "default")
        _ = ReviewApp.update(&state, session.start())
        XCTAssertEqual(state.live?.id, pair.id, "the second review comes first")
        return (state, session)
    }

    func testSecondReviewIsBlindToTheModelAndTheFirstVerdict() throws {
        for (width, height) in [(80, 24), (120, 40)] {
            try? FileManager.default.removeItem(atPath: queuePath)
            setUpQueue()
            let (state, _) = try secondReviewScreen(width: width, height: height)
            XCTAssertEqual(state.live?.kind, .secondReview)
            let text = ReviewView.render(state).text()
            XCTAssertTrue(text.contains("SECOND REVIEW"), text)
            for hidden in ["weight", "probability", "Exact", "JW", "█│", "│█", "ana", "moved house", "match ·"] {
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
            let (state, session) = try started(width: width, height: height, blind: false)
            XCTAssertEqual(state.live?.isAudit, true)
            XCTAssertFalse(state.blind, "the reviewer's own setting is left alone")
            let text = ReviewView.render(state).text()
            for hidden in ["weight", "probability", "Exact", "JW", "█│", "│█", "AUDIT", "SECOND REVIEW"] {
                XCTAssertFalse(text.contains(hidden), "an audit pair shows «\(hidden)»")
            }
            if width == 120 {
                var decided = state
                press([.character("m")], &decided, session)
                let log = folder.appendingPathComponent("decisions.csv").path
                _ = try Exports.decisions(queue: queuePath, to: log)
                let last = try XCTUnwrap(String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last)
                // …,verdict,note,decided_at,shown_match_weight,shown_match_probability
                let fields = last.split(separator: ",", omittingEmptySubsequences: false)
                XCTAssertEqual(fields[8], "match")
                XCTAssertEqual(fields.suffix(2), ["", ""], "no score was shown: \(last)")
            }
            session.queue.close()
        }
    }

    func testAdjudicationShowsBothVerdictsAndNotes() throws {
        let (state, session) = try secondReviewScreen(width: 120, height: 40)
        var second = state
        press([.character("n")], &second, session)  // bo disagrees: the pair is disputed
        let lead = ReviewSession(queue: try ReviewQueue(path: queuePath, reviewer: "quinn", mode: .adjudicate))
        var adjudication = ReviewState(queueName: "review.db", reviewer: "quinn", width: 120, height: 40, blind: false, themeName: "default")
        _ = ReviewApp.update(&adjudication, lead.start())
        XCTAssertEqual(adjudication.live?.kind, .adjudication)
        XCTAssertEqual(adjudication.live?.id, state.live?.id)
        let text = ReviewView.render(adjudication).text()
        XCTAssertTrue(text.contains("ADJUDICATION"), text)
        XCTAssertTrue(text.contains("1st ana: match “same person, moved house”  ·  2nd bo: non-match"), text)
        assertSnapshot(text, named: "adjudication-120x40")
    }

    func testBlindHidesAllModelEvidence() throws {
        for (width, height) in [(80, 24), (120, 40)] {
            let (state, _) = try started(width: width, height: height, blind: true)
            let text = ReviewView.render(state).text()
            for hidden in ["weight", "probability", "exact", "Exact", "JW", "+", "█│", "│█"] {
                XCTAssertFalse(text.contains(hidden), "blind screen shows «\(hidden)»")
            }
            assertSnapshot(text, named: "pair-blind-\(width)x\(height)")
        }
        // The key toggles it too.
        var (state, session) = try started(width: 80, height: 24)
        press([.character("b")], &state, session)
        XCTAssertTrue(state.blind)
        XCTAssertEqual(ReviewView.render(state).text(), try started(width: 80, height: 24, blind: true).0.withMessage(nil).rendered)
    }

    func testMonochromeKeepsMeaningInAttributesAndSymbols() throws {
        let (state, _) = try started(width: 80, height: 24)
        let theme = try Theme.load("monochrome")
        XCTAssertTrue(theme.looks.values.allSatisfy { $0.foreground == .terminalDefault && $0.background == .terminalDefault })
        assertSnapshot(ReviewView.render(state).annotated(with: theme), named: "pair-monochrome-80x24")
    }

    func testHelpOverlayListsEveryAction() throws {
        var (state, session) = try started(width: 80, height: 24)
        press([.character("?")], &state, session)
        let text = ReviewView.render(state).text()
        for binding in Action.reviewBindings { XCTAssertTrue(text.contains(binding.help), binding.help) }
        XCTAssertEqual(Action.reviewBindings.count, 12, "every review action, and none of the dashboard's")
        assertSnapshot(text, named: "help-80x24")
        press([.character("m")], &state, session)  // any key closes help and does nothing else
        XCTAssertFalse(state.showingHelp)
        XCTAssertEqual(try session.queue.counts().decided, 0)
    }

    func testNoteEditor() throws {
        var (state, session) = try started(width: 80, height: 24)
        press([.character("c")] + "Zoë 王 twin?".map { Key.character($0) } + [.backspace, .character("!")], &state, session)
        assertSnapshot(ReviewView.render(state).text(), named: "note-editor-80x24")
        press([.enter], &state, session)
        XCTAssertEqual(state.draftNote, "Zoë 王 twin!")
        press([.character("c"), .character("x"), .escape], &state, session)
        XCTAssertEqual(state.draftNote, "Zoë 王 twin!", "Esc cancels")
        press([.character("m")], &state, session)
        XCTAssertEqual(try session.queue.recentVerdicts().first?.note, "Zoë 王 twin!")
    }

    func testEmptyQueue() throws {
        var (state, session) = try started(width: 80, height: 24)
        press([.character("m"), .character("n"), .character("u"), .character("m"), .character("n")], &state, session)
        XCTAssertNil(state.live)
        assertSnapshot(ReviewView.render(state).text(), named: "empty-80x24")
        press([.character("m"), .character("s"), .character("c")], &state, session)  // do nothing here
        XCTAssertNil(state.editor)
        XCTAssertEqual(try session.queue.counts().decided, 5)
    }

    func testSkippedPairsComeBackWhenNothingElseIsLeft() throws {
        var (state, session) = try started(width: 80, height: 24)
        let first = try XCTUnwrap(state.live)
        var seen: Set<Int64> = [first.id]
        for _ in 0..<4 {
            press([.character("s")], &state, session)
            seen.insert(try XCTUnwrap(state.live).id)
        }
        XCTAssertEqual(seen.count, 5, "each skip offers a pair not yet skipped")
        press([.character("s")], &state, session)
        XCTAssertNotNil(state.live, "with only skipped pairs left, they are offered again")
        XCTAssertTrue(state.skipped.isEmpty)
        XCTAssertEqual(try session.queue.counts().decided, 0)
    }

    func testTooSmallTerminal() throws {
        let (state, _) = try started(width: 60, height: 20)
        assertSnapshot(ReviewView.render(state).text(), named: "too-small-60x20")
    }

    func testEscapeSequencesInValuesBecomePlaceholders() throws {
        var (state, session) = try started(width: 120, height: 40)
        // Walk to the pair whose records hold escape sequences.
        while let live = state.live, live.left.uniqueID != "PRO-0000707" { press([.character("s")], &state, session) }
        let buffer = ReviewView.render(state)
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
        let loop = ReviewLoop(state: ReviewState(queueName: "review.db", reviewer: "ana", width: 120, height: 40, blind: false,
                                                 themeName: "default"),
                              session: ReviewSession(queue: try ReviewQueue(path: queuePath, reviewer: "ana")))
        loop.start()
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

    func testVerdictsUndoSkipAndBrowse() throws {
        var (state, session) = try started(width: 80, height: 24)
        let first = try XCTUnwrap(state.live)
        press([.character("m")], &state, session)
        let second = try XCTUnwrap(state.live)
        XCTAssertNotEqual(first.id, second.id)
        press([.character("s")], &state, session)
        let third = try XCTUnwrap(state.live)
        XCTAssertNotEqual(third.id, second.id)
        press([.character("n"), .character("z")], &state, session)
        XCTAssertEqual(state.live?.id, third.id, "undo brings the pair back")
        press([.left], &state, session)
        XCTAssertEqual(state.browsed?.id, first.id)
        XCTAssertEqual(state.browsed?.verdict, .match)
        press([.character("u")], &state, session)
        XCTAssertEqual(state.browsed?.verdict, .unsure, "a correction")
        press([.right], &state, session)
        XCTAssertNil(state.browsed)
        XCTAssertEqual(state.live?.id, third.id)
        let verdicts = try session.queue.recentVerdicts()
        XCTAssertEqual(verdicts.map(\.verdict), [.unsure])
        XCTAssertEqual(verdicts.first?.pairID, first.id)
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
