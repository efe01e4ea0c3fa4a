import ClericalCore
@testable import ClericalStore
@testable import ClericalTUI
import Foundation
import XCTest

/// The supervisor dashboard, drawn from a real queue with real decisions.
final class DashboardTests: XCTestCase {
    var folder: URL!
    var queuePath: String { folder.appendingPathComponent("review.db").path }

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = try SplinkImporter.run(queue: queuePath, predictions: ReviewScreenTests.fixtures.appendingPathComponent("predictions.csv").path,
                                   model: ReviewScreenTests.fixtures.appendingPathComponent("model.json").path,
                                   band: .probability(low: 0, high: 1))
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func refreshed(_ state: inout DashboardState, _ activity: TeamActivity, now: Date = Date()) throws {
        let queue = try QueueHandle(path: queuePath)
        defer { queue.close() }
        _ = DashboardApp.update(&state, .refreshed(try queue.live(), team: try queue.team(activity, now: now)))
    }

    func testFiguresFollowTheDecisionLogIncrementally() throws {
        let activity = TeamActivity()
        var state = DashboardState(queueName: "review.db", supervisor: "sam", width: 100, height: 30)
        try refreshed(&state, activity)
        XCTAssertEqual(state.team.reviewers, [])
        XCTAssertNil(state.team.hoursToFinish)

        let ana = try ReviewQueue(path: queuePath, reviewer: "ana")
        for verdict in [Verdict.match, .unsure] {
            let pair = try XCTUnwrap(ana.claimNext())
            try ana.decide(pair.id, verdict, note: nil, shown: pair.score)
        }
        let held = try XCTUnwrap(ana.claimNext())
        try refreshed(&state, activity)
        let figures = try XCTUnwrap(state.team.reviewers.first)
        XCTAssertEqual(figures.reviewer, "ana")
        XCTAssertEqual(figures.verdictsLastHour, 2)
        XCTAssertEqual(figures.verdictsToday, 2)
        XCTAssertEqual(figures.unsureShare ?? -1, 0.5, accuracy: 1e-12)
        XCTAssertNotNil(figures.medianSecondsPerVerdict)
        XCTAssertEqual(state.counts.decided, 2)
        XCTAssertEqual(state.team.claims.map(\.pairID), [held.id])
        XCTAssertEqual(state.team.claims.first?.reviewer, "ana")
        XCTAssertNotNil(state.team.hoursToFinish, "a pace, so a finish estimate")

        // Nothing new: nothing is counted twice.
        try refreshed(&state, activity)
        XCTAssertEqual(state.team.reviewers.first?.verdicts, 2)
        // Masked review: two reveals on one of her two decided pairs show as 50% revealed.
        let decided = try XCTUnwrap(ana.recentVerdicts().first?.pairID)
        try ana.reveal(decided, field: "given_name")
        try ana.reveal(decided, field: nil)
        try refreshed(&state, activity)
        XCTAssertEqual(state.team.reviewers.first?.reveals, 2)
        XCTAssertEqual(state.team.reviewers.first?.pairsRevealed, 1)
        XCTAssertTrue(DashboardView.render(state).text().contains("     50%"), DashboardView.render(state).text())
        // Two hours later the verdicts are no longer in the last hour.
        try refreshed(&state, activity, now: Date().addingTimeInterval(7200))
        XCTAssertEqual(state.team.reviewers.first?.verdictsLastHour, 0)
        ana.close()

        let text = DashboardView.render(state).text()
        for expected in ["clerical dashboard", "ana", "claims (1)", "pair #\(held.id)  review  ana", "x expire", "r reassign"] {
            XCTAssertTrue(text.contains(expected), "«\(expected)» in\n\(text)")
        }
    }

    func testKeysSelectExpireAndReassignClaims() throws {
        var state = DashboardState(queueName: "q", supervisor: "sam", width: 100, height: 30)
        state.team.claims = [ClaimInfo(pairID: 7, reviewer: "ana", kind: "review", secondsLeft: 30),
                             ClaimInfo(pairID: 9, reviewer: "bo", kind: "second-review", secondsLeft: -3)]
        XCTAssertEqual(DashboardApp.update(&state, .key(.down)), [])
        XCTAssertEqual(DashboardApp.update(&state, .key(.character("x"))), [.expire(pairID: 9)])
        XCTAssertEqual(DashboardApp.update(&state, .key(.up)), [])
        XCTAssertEqual(DashboardApp.update(&state, .key(.character("r"))), [])
        for c in "bo" { _ = DashboardApp.update(&state, .key(.character(c))) }
        XCTAssertEqual(DashboardApp.update(&state, .key(.enter)), [.reassign(pairID: 7, to: "bo")])
        XCTAssertNil(state.reassigningTo)
        XCTAssertEqual(DashboardApp.update(&state, .key(.character("m"))), [], "keys that do nothing here do nothing")
        _ = DashboardApp.update(&state, .key(.character("q")))
        XCTAssertEqual(state.exitStatus, 0)
    }

    func testExpireAndReassignChangeTheClaim() throws {
        let ana = try ReviewQueue(path: queuePath, reviewer: "ana", leaseSeconds: 600)
        let pair = try XCTUnwrap(ana.claimNext())
        try ClaimAdministration.reassign(queue: queuePath, pairID: pair.id, to: "bo", by: "sam")
        let bo = try ReviewQueue(path: queuePath, reviewer: "bo")
        XCTAssertEqual(try bo.claimNext()?.id, pair.id, "bo now holds it")
        try ClaimAdministration.expire(queue: queuePath, pairID: pair.id, by: "sam")
        let handle = try QueueHandle(path: queuePath)
        XCTAssertEqual(try handle.team(TeamActivity(), now: Date()).claims.count, 0)
        handle.close()
        XCTAssertNotNil(try ana.claimNext(), "the pair is back in the queue")
        ana.close()
        bo.close()
    }

    /// The dashboard's own loop, as `clerical dashboard` runs it without the terminal: it opens
    /// with the figures, and a key ends or hands over a claim in the queue itself.
    func testTheDashboardLoopShowsAndChangesClaims() throws {
        let ana = try ReviewQueue(path: queuePath, reviewer: "ana", leaseSeconds: 600)
        let pair = try XCTUnwrap(ana.claimNext())
        defer { ana.close() }
        let handle = try QueueHandle(path: queuePath, account: "sam")
        defer { handle.close() }
        let loop = ScreenLoop(DashboardApp.self, state: DashboardState(queueName: "review.db", supervisor: "sam", width: 100, height: 30),
                              session: DashboardSession(queue: handle))
        loop.start()
        XCTAssertEqual(loop.state.team.claims.map(\.pairID), [pair.id])
        XCTAssertTrue(loop.frame().text().contains("pair #\(pair.id)  review  ana"))
        for key in [Key.character("r"), .character("b"), .character("o"), .enter] { loop.handle(.key(key)) }
        XCTAssertEqual(loop.state.message, "Pair #\(pair.id) is now bo's.")
        XCTAssertEqual(loop.state.team.claims.map(\.reviewer), ["bo"], "refreshed at once, not at the next tick")
        loop.handle(.key(.character("x")))
        XCTAssertEqual(loop.state.team.claims, [])
        loop.handle(.key(.character("r")))
        XCTAssertNil(loop.state.reassigningTo, "no claim selected: nothing to reassign")
        loop.handle(.tick)
        XCTAssertNil(loop.exitStatus)
        loop.handle(.terminalGone(exitStatus: 129))
        XCTAssertEqual(loop.exitStatus, 129)
    }

    /// Tab opens the linkage-quality view, read from the real queue by the session; the claim
    /// keys do nothing there; Tab goes back.
    func testTabOpensTheQualityViewFromTheQueue() throws {
        let handle = try QueueHandle(path: queuePath, account: "sam")
        defer { handle.close() }
        let loop = ScreenLoop(DashboardApp.self, state: DashboardState(queueName: "review.db", supervisor: "sam", width: 120, height: 40),
                              session: DashboardSession(queue: handle))
        loop.start()
        loop.handle(.key(.tab))
        XCTAssertEqual(loop.state.view, .quality)
        let estimate = try XCTUnwrap(loop.state.quality)
        XCTAssertEqual(estimate, try LinkageQualityReport.estimate(queue: queuePath))
        let text = loop.frame().text()
        for expected in ["Linkage quality of the final decisions (", "precision", "recall", "F1",
                         "calibration", "Tab quality"] {
            XCTAssertTrue(text.contains(expected), "«\(expected)» in\n\(text)")
        }
        XCTAssertFalse(text.contains("x expire"), "the claims are not on this view")
        loop.handle(.key(.character("r")))
        XCTAssertNil(loop.state.reassigningTo)
        loop.handle(.key(.tab))
        XCTAssertEqual(loop.state.view, .team)
    }

    /// The quality view at both sizes, from a fixed estimate: intervals as bars, calibration.
    func testGoldenQualityView() {
        let input = QualityInput(patterns: [
            .init(probability: 0.99, reviewedMatches: 40, reviewedNonMatches: 2, unreviewed: 4_000, covered: ["a/match": 4_000]),
            .init(probability: 0.62, reviewedMatches: 30, reviewedNonMatches: 12, unreviewed: 80, inReviewBand: true),
            .init(probability: 0.35, reviewedMatches: 9, reviewedNonMatches: 25, unreviewed: 60, inReviewBand: true),
            .init(probability: 0.01, reviewedMatches: 1, reviewedNonMatches: 99, unreviewed: 9_000),
        ], auditVerdicts: (0..<40).map { .init(stratum: "a/match", probability: 0.99, isMatch: $0 >= 2) }, frameSizes: ["a/match": 4_040])
        for (width, height) in [(80, 24), (120, 40)] {
            var state = Self.goldenState(width: width, height: height)
            _ = DashboardApp.update(&state, .key(.tab))
            _ = DashboardApp.update(&state, .qualityRefreshed(LinkageQuality.estimate(input)))
            let text = DashboardView.render(state).text()
            XCTAssertTrue(text.contains("not bounded:"), text)
            XCTAssertTrue(text.contains("●"), text)
            assertSnapshot(text, named: "dashboard-quality-\(width)x\(height)")
        }
    }

    /// With an audit behind every pair the model decided but F1 still wide, the view says how
    /// many more audit verdicts would narrow it.
    func testTheQualityViewNamesTheAuditVerdictsThatWouldNarrowF1() {
        let input = QualityInput(patterns: [
            .init(probability: 0.99, reviewedMatches: 40, reviewedNonMatches: 2, unreviewed: 4_000, covered: ["a/match": 4_000]),
            .init(probability: 0.01, reviewedMatches: 0, reviewedNonMatches: 100, unreviewed: 0),
        ], auditVerdicts: (0..<40).map { .init(stratum: "a/match", probability: 0.99, isMatch: $0 >= 2) }, frameSizes: ["a/match": 4_040])
        let estimate = LinkageQuality.estimate(input)
        let more = try! XCTUnwrap(estimate.auditVerdictsToNarrowF1)
        var state = Self.goldenState(width: 120, height: 40)
        _ = DashboardApp.update(&state, .key(.tab))
        _ = DashboardApp.update(&state, .qualityRefreshed(estimate))
        let text = DashboardView.render(state).text()
        XCTAssertTrue(text.contains("about \(more) more audit verdicts would narrow F1"), text)
        XCTAssertFalse(text.contains("not bounded:"), text)
    }

    /// The dashboard as text at both sizes, from fixed figures (so the golden file does not
    /// depend on the clock).
    func testGoldenDashboard() {
        for (width, height) in [(80, 24), (120, 40)] {
            let state = Self.goldenState(width: width, height: height)
            let text = DashboardView.render(state).text()
            XCTAssertTrue(text.contains("done in 4.0 h at this pace (2026-11-25 21:00)"), text)
            XCTAssertTrue(text.contains(" bo "), "every reviewer fits: \(text)")
            XCTAssertTrue(text.contains("lease expired"), text)
            assertSnapshot(text, named: "dashboard-\(width)x\(height)")
        }
    }

    /// Fixed figures for the dashboard's golden screens and the README's picture.
    static func goldenState(width: Int, height: Int) -> DashboardState {
        var state = DashboardState(queueName: "justice.db", supervisor: "sam", width: width, height: height)
        state.counts = QueueCounts()
        (state.counts.total, state.counts.claimed, state.counts.decided, state.counts.disputed) = (125, 2, 120, 3)
        (state.counts.awaitingReview, state.counts.decidedByModel) = (240, 5_000)
        state.pendingByProbability = (0..<10).map {
            QueueStatus.ProbabilityBin(low: Double($0) / 10, high: Double($0 + 1) / 10, count: [40, 30, 20, 25, 35, 30, 20, 15, 10, 15][$0])
        }
        var ana = ReviewerActivity(reviewer: "ana", verdicts: 80)
        ana.verdictsLastHour = 52
        ana.verdictsToday = 80
        ana.medianSecondsPerVerdict = 41.5
        ana.unsureShare = 0.05
        ana.secondReviewAgreement = 0.9
        ana.secondReviewed = 10
        var bo = ReviewerActivity(reviewer: "bo", verdicts: 43)
        bo.verdictsLastHour = 8
        bo.verdictsToday = 43
        bo.medianSecondsPerVerdict = 95
        bo.unsureShare = 0.2
        state.team.reviewers = [ana, bo]
        state.team.verdictsLastHour = 60
        state.team.hoursToFinish = 4
        state.team.estimatedFinish = "2026-11-25T21:00:00.000Z"
        state.team.claims = [ClaimInfo(pairID: 311, reviewer: "ana", kind: "review", secondsLeft: 95),
                             ClaimInfo(pairID: 42, reviewer: "bo", kind: "second-review", secondsLeft: -12)]
        state.modelVersions = []
        state.team.lastReestimation = ReestimationSummary(modelVersion: 3, createdAt: "2026-11-25T15:00:00.000Z", lambdaBefore: 0.0004,
                                                          lambdaAfter: 0.28, largestWeightChange: 2.5, labels: 120, movedIntoReview: 64)
        state.selectedClaim = 1
        return state
    }
}
