import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

final class SimulationTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func simulate(_ order: SimulationPlan.Order, decisions: Int = 300, errorRate: Double = 0, reviewers: Int = 1) throws -> SimulationReport {
        var plan = SimulationPlan()
        plan.order = order
        plan.decisions = decisions
        plan.errorRate = errorRate
        plan.reviewers = reviewers
        plan.reestimateEvery = 50  // the steps this file checks; the order, not the cadence, is what it measures
        // The independent model, as re-estimation fitted it before `auto`: this file measures what
        // the order of review gives EM (auto keeps the imported model on FEBRL, which no fitted
        // model beats by two standard errors; BeyondIndependenceTests cover auto).
        plan.model = .independent
        return try Simulation.run(queue: path, truth: fixture.truth, plan: plan)
    }

    var fixture = Fixture.splink5Dedupe

    /// 300 verdicts in the queue's order leave a model at least as good as the imported one,
    /// and better than 300 verdicts on random candidate pairs. The band is wide, as a quality
    /// lead would set it to give the reviewers 300 pairs.
    func testUncertaintyOrderImprovesTheModelAndBeatsRandomOrder() throws {
        for fixture in [Fixture.splink5Dedupe, .splink4Dedupe] {
            self.fixture = fixture
            try? FileManager.default.removeItem(atPath: path)
            _ = try SplinkImporter.run(queue: path, predictions: fixture.predictions, model: fixture.model,
                                       band: .probability(low: 0.001, high: 0.999999))
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            let uncertainty = try simulate(.uncertainty)
            let random = try simulate(.random)

            let imported = try XCTUnwrap(uncertainty.steps.first)
            let afterUncertainty = try XCTUnwrap(uncertainty.steps.last)
            let afterRandom = try XCTUnwrap(random.steps.last)
            XCTAssertEqual(imported.verdicts, 0)
            XCTAssertEqual(afterUncertainty.verdicts, 300, "\(fixture)")
            XCTAssertEqual(afterRandom.verdicts, 300, "\(fixture)")
            XCTAssertNil(uncertainty.stoppedEarly)
            XCTAssertEqual(uncertainty.pairsWithTruth, fixture.table.rows.count, "the truth file covers every pair")
            XCTAssertGreaterThanOrEqual(afterUncertainty.f1, imported.f1, "\(fixture): F1 after 300 verdicts")
            XCTAssertGreaterThan(afterUncertainty.f1, afterRandom.f1, "\(fixture): uncertainty order beats random order")
            XCTAssertEqual(uncertainty.steps.map(\.verdicts), [0, 50, 100, 150, 200, 250, 300])
            // Each step names the model it was scored with, as `ModelCandidate` names them.
            let names = Set([ModelKind.imported, .independent, .dependent].flatMap { kind in
                [false, true].map { ModelCandidate(kind: kind, conditional: $0).name }
            })
            XCTAssertEqual(imported.model, "imported")
            for step in uncertainty.steps { XCTAssert(names.contains(step.model), "\(fixture): \(step.verdicts) verdicts: \(step.model)") }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the queue itself is left as it was")
        }
    }

    func testReviewersWhoErrGiveWrongVerdictsAtTheirRate() throws {
        _ = try SplinkImporter.run(queue: path, predictions: fixture.predictions, model: fixture.model,
                                   band: .probability(low: 0.001, high: 0.999999))
        let report = try simulate(.uncertainty, decisions: 200, errorRate: 0.2, reviewers: 3)
        XCTAssertEqual(report.steps.last?.verdicts, 200)
        XCTAssertEqual(Double(report.wrongVerdicts) / 200, 0.2, accuracy: 0.07)
        XCTAssertEqual(report.reviewers, 3)
    }

    func testATruthFileThatCoversNothingIsRefused() throws {
        _ = try SplinkImporter.run(queue: path, predictions: fixture.predictions, model: fixture.model)
        let truth = folder.appendingPathComponent("truth.csv").path
        try "unique_id_l,unique_id_r,is_match\nnobody,no-one,1\n".write(toFile: truth, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Simulation.run(queue: path, truth: truth, plan: SimulationPlan())) { error in
            XCTAssertEqual((error as? ClericalError)?.status, .dataError)
        }
        try "unique_id_l,unique_id_r,is_match\nrec-1,rec-2,maybe\n".write(toFile: truth, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Simulation.run(queue: path, truth: truth, plan: SimulationPlan())) { error in
            XCTAssertTrue("\(error)".contains("truth.csv:2:"), "\(error)")
        }
    }

    /// --keep-queue keeps the simulated copy in a new file: its verdicts and model versions are
    /// there and its chain verifies; the queue simulated on is left as it was. A kept queue is
    /// never written over.
    func testTheSimulatedQueueIsKeptInANewFileWhenAsked() throws {
        _ = try SplinkImporter.run(queue: path, predictions: fixture.predictions, model: fixture.model,
                                   band: .probability(low: 0.001, high: 0.999999))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let kept = folder.appendingPathComponent("kept.db").path
        var plan = SimulationPlan()
        plan.decisions = 120
        plan.model = .independent
        plan.keepQueue = kept
        let report = try Simulation.run(queue: path, truth: fixture.truth, plan: plan)
        XCTAssertEqual(report.steps.last?.verdicts, 120)

        let queue = try DatabaseQueue(path: kept)
        let (verdicts, versions, probabilities) = try queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM decision WHERE verdict IN ('match', 'non-match')") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM model_version") ?? 0,
             try Double.fetchAll(db, sql: "SELECT match_probability FROM pattern ORDER BY id"))
        }
        try queue.close()
        XCTAssertEqual(verdicts, 120, "every simulated verdict is in the kept queue")
        // One every reestimateEvery verdicts, and one more at the end unless the last fell on verdict 120.
        let reestimations = (120 + plan.reestimateEvery - 1) / plan.reestimateEvery
        XCTAssertEqual(versions, 1 + reestimations, "the imported model and one version per re-estimation")
        XCTAssertEqual(report.steps.last?.modelVersion, Int64(versions))
        let original = try DatabaseQueue(path: path)
        let importedProbabilities = try original.read { db in try Double.fetchAll(db, sql: "SELECT match_probability FROM pattern ORDER BY id") }
        try original.close()
        XCTAssertNotEqual(probabilities, importedProbabilities, "the kept queue is scored by the last re-estimation")
        XCTAssertTrue(try QueueVerification.run(queue: kept).isSound)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the queue itself is left as it was")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".partial") }
        XCTAssertEqual(leftovers, [])

        let keptBefore = try Data(contentsOf: URL(fileURLWithPath: kept))
        XCTAssertThrowsError(try Simulation.run(queue: path, truth: fixture.truth, plan: plan)) { error in
            XCTAssertEqual((error as? ClericalError)?.status, .cannotCreate)
            XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: kept)), keptBefore, "a kept queue is not written over")
    }
}
