import ClericalCore
import ClericalStore
@testable import ClericalTUI
import Foundation
import GRDB
import XCTest

/// The context panel on a real queue: CUS-0000101 has two other candidates, PRO-0000202 two,
/// one of them already decided a match by bo; CUS-0000104 × PRO-0000205 shares the first pair's
/// comparison vector and bo called it a non-match.
final class ContextPanelTests: XCTestCase {
    var folder: URL!
    var queuePath: String!

    override func setUpWithError() throws {
        (folder, queuePath) = try Self.makeQueue()
    }

    /// The candidates fixture imported, and bo's two verdicts, each pair reached by jumping to it.
    static func makeQueue() throws -> (folder: URL, path: String) {
        let (folder, path) = try importedQueue("candidates.csv", named: "candidates")
        let bo = try ReviewQueue(path: path, reviewer: "bo")
        defer { bo.close() }
        for (pair, verdict) in [(Int64(4), Verdict.match), (6, .nonMatch)] {
            let inHand = try XCTUnwrap(try bo.claimNext())
            if inHand.id != pair { XCTAssertEqual(try bo.jump(from: inHand.id, to: pair).id, pair) }
            _ = try bo.decide(pair, verdict, note: nil, shown: nil)
        }
        return (folder, path)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func started(width: Int, height: Int, blind: Bool = false) throws -> ReviewLoop {
        try Self.started(queuePath, width: width, height: height, blind: blind)
    }

    static func started(_ queuePath: String, width: Int, height: Int, blind: Bool = false) throws -> ReviewLoop {
        let loop = ScreenLoop(ReviewApp.self, state: ReviewState(queueName: "candidates.db", reviewer: "ana", width: width, height: height,
                                                                 blind: blind, themeName: "default"),
                              session: ReviewSession(queue: try ReviewQueue(path: queuePath, reviewer: "ana")))
        loop.start()
        return loop
    }

    func onPairOne(_ screen: ReviewLoop) throws { try Self.onPairOne(screen) }

    /// Jumps (with the number keys) to pair 1, from wherever the queue started.
    static func onPairOne(_ screen: ReviewLoop) throws {
        let live = try XCTUnwrap(screen.state.live)
        guard live.id != 1 else { return }
        let number = try XCTUnwrap(ContextPanel.jumpTargets(live, screen.state).firstIndex(of: 1)) + 1
        screen.press([.character(Character("\(number)"))])
        XCTAssertEqual(screen.state.live?.id, 1, "\(screen.state.message?.text ?? "")")
    }

    func testOtherCandidatesTheExistingLinkAndThePatternsHistory() throws {
        for (width, height) in [(120, 40), (80, 24)] {
            let screen = try started(width: width, height: height)
            try onPairOne(screen)
            let context = try XCTUnwrap(screen.state.live?.context)
            XCTAssertEqual(context.left.map(\.other.uniqueID), ["PRO-0000203", "PRO-0000204"], "most probable first")
            XCTAssertEqual(context.right.map(\.other.uniqueID), ["CUS-0000102", "CUS-0000103"])
            XCTAssertEqual(context.right.first?.state, .decided(by: "bo", .match))
            XCTAssertEqual(context.links.map(\.record), ["PRO-0000202"])
            XCTAssertEqual(context.history, .init(pairs: 2, matches: 0, nonMatches: 1, unsure: 0))
            let text = screen.frame().text()
            XCTAssertTrue(text.contains("PRO-0000202 is already linked to CUS-0000102 (match, bo)"), text)
            XCTAssertTrue(text.contains("2 pairs share this comparison vector · 1 reviewed: 0 match, 1 non-match"), text)
            assertSnapshot(text, named: "context-\(width)x\(height)")
            screen.session.queue.close()
        }
    }

    /// After a verdict the next pair's context is read on the second connection while the
    /// commit waits: it holds the verdict just given, it is what a read after the commit finds,
    /// and the frame drawn meanwhile is the one shown.
    func testTheNextPairsContextHoldsTheVerdictJustGiven() throws {
        let screen = try started(width: 120, height: 40)
        try onPairOne(screen)
        let drawnBefore = screen.framesDrawnAhead
        screen.press([.character("m")])
        let next = try XCTUnwrap(screen.state.live)
        XCTAssertEqual(next.context, try screen.session.queue.pair(next.id).context, "as a read after the commit finds it")
        XCTAssertEqual(screen.framesDrawnAhead, drawnBefore + 1, "the frame drawn while the commit waited is kept")
        // Every pair left (2, 3, 5) shares a record with pair 1: it is there, decided, and a link.
        let mine = (next.context.left + next.context.right).first { $0.pairID == 1 }
        XCTAssertEqual(mine?.state, .decided(by: "ana", .match), "next is pair \(next.id)")
        XCTAssertTrue(next.context.links.contains { $0.reviewer == "ana" }, "\(next.context.links)")
        screen.session.queue.close()
    }

    /// Blind review hides the history and every probability; the candidates and states stay.
    func testBlindHidesTheHistoryAndEveryProbability() throws {
        let screen = try started(width: 120, height: 40, blind: true)
        try onPairOne(screen)
        let text = screen.frame().text()
        XCTAssertTrue(text.contains("PRO-0000203") && text.contains("match · bo"), text)
        XCTAssertFalse(text.contains("comparison vector"), text)
        for candidate in screen.state.live!.context.left + screen.state.live!.context.right {
            XCTAssertFalse(text.contains(ContextPanel.shortProbability(candidate.probability)), text)
        }
        XCTAssertFalse(text.contains("probability"), text)
    }

    /// A jump claims the candidate and hands the pair in hand back; one that is no longer
    /// pending is refused and the pair in hand stays.
    func testJumpingClaimsTheCandidateAndHandsThePairBack() throws {
        let screen = try started(width: 120, height: 40)
        try onPairOne(screen)
        let targets = ContextPanel.jumpTargets(screen.state.live!, screen.state)
        XCTAssertEqual(targets, [2, 3, 5], "pending candidates only: the decided one has no number")
        screen.press([.character("1")])
        XCTAssertEqual(screen.state.live?.id, 2)
        let db = try DatabaseQueue(path: queuePath)
        defer { try? db.close() }
        try db.read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT state FROM pair WHERE id = 1"), "pending")
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT reviewer FROM claim WHERE pair_id = 2"), "ana")
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM claim"), 1)
        }
        // Someone else takes pair 1 meanwhile: jumping back to it is refused, pair 2 stays in hand.
        let cy = try ReviewQueue(path: queuePath, reviewer: "cy")
        defer { cy.close() }
        var claimed = try cy.claimNext()
        while let pair = claimed, pair.id != 1 { claimed = try cy.jump(from: pair.id, to: 1) }
        let stale = try XCTUnwrap(ContextPanel.jumpTargets(screen.state.live!, screen.state).firstIndex(of: 1)) + 1
        screen.press([.character(Character("\(stale)"))])
        XCTAssertEqual(screen.state.live?.id, 2)
        XCTAssertTrue(screen.state.message?.text.contains("no longer pending") ?? false, "\(String(describing: screen.state.message))")
    }

    /// A record with more candidates than the panel shows: the most probable shown, in order,
    /// each with its state (claimed by whom), and a match decided far down the list still
    /// listed as a link, all read in the loader's three statements.
    func testAHubShowsItsMostProbableCandidatesAndEveryLink() throws {
        let lines = try String(contentsOf: ReviewScreenTests.fixtures.appendingPathComponent("candidates.csv"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let template = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func column(_ name: String) -> Int { header.firstIndex(of: name)! }
        var rows = [lines[0]]
        for n in 1...14 {
            var row = template
            row[column("unique_id_l")] = "HUB"
            row[column("unique_id_r")] = String(format: "C%02d", n)
            row[column("gamma_date_of_birth")] = ["3", "1", "0", "-1"][n % 4]
            row[column("gamma_postcode")] = ["1", "0"][n % 2]
            rows.append(row.joined(separator: ","))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-hub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("hub.csv"), path = folder.appendingPathComponent("hub.db").path
        try (rows.joined(separator: "\n") + "\n").write(to: csv, atomically: true, encoding: .utf8)
        try SplinkImporter.run(queue: path, predictions: csv.path, model: ReviewScreenTests.fixtures.appendingPathComponent("model.json").path,
                               band: .probability(low: 0, high: 1))

        // Independently: HUB's candidates, most probable first (ties by pair id).
        let database = try DatabaseQueue(path: path)
        let ranked = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT p.id, t.match_probability FROM pair p JOIN pattern t ON t.id = p.pattern_id")
                .map { (id: $0[0] as Int64, probability: $0[1] as Double) }
        }.sorted { ($0.probability, $1.id) > ($1.probability, $0.id) }
        try database.close()
        XCTAssertEqual(ranked.count, 14)
        guard ranked.count == 14 else { return }
        let shownPair = ranked[0].id, last = ranked[13].id, held = ranked[2].id

        // bo decides the least probable candidate a match; cy holds the third.
        let bo = try ReviewQueue(path: path, reviewer: "bo"), cy = try ReviewQueue(path: path, reviewer: "cy")
        defer { bo.close(); cy.close() }
        let boHand = try XCTUnwrap(try bo.claimNext())
        if boHand.id != last { _ = try bo.jump(from: boHand.id, to: last) }
        try bo.decide(last, .match, note: nil, shown: nil)
        let cyHand = try XCTUnwrap(try cy.claimNext())
        if cyHand.id != held { _ = try cy.jump(from: cyHand.id, to: held) }

        let ana = try ReviewQueue(path: path, reviewer: "ana")
        defer { ana.close() }
        let context = try ana.pair(shownPair).context
        let expected = ranked.filter { $0.id != shownPair }.prefix(PairContext.candidatesPerRecord)
        XCTAssertEqual(context.left.map(\.pairID), expected.map(\.id), "the most probable, in order")
        XCTAssertEqual(context.left.map(\.probability), expected.map(\.probability))
        XCTAssertEqual(context.left.first { $0.pairID == held }?.state, .claimed(by: "cy"))
        XCTAssertFalse(context.left.contains { $0.pairID == last }, "beyond the panel")
        XCTAssertEqual(context.links.map(\.reviewer), ["bo"], "yet its match is a link")
        XCTAssertEqual(context.links.first?.record, "HUB")
        XCTAssertEqual(context.links.first?.linkedTo.uniqueID.hasPrefix("C"), true)
    }
}
