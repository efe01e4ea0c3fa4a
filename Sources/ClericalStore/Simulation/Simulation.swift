import ClericalCore
import Foundation
import GRDB

/// How simulated reviewers work through a queue.
public struct SimulationPlan: Sendable {
    public enum Order: String, Sendable, CaseIterable {
        /// The queue's own order: the pair the model is least sure of first.
        case uncertainty
        /// Any undecided candidate pair, at random, whether queued or decided by the model.
        case random
    }

    public var decisions = 300
    public var reviewers = 1
    public var errorRate = 0.0
    /// Re-estimate after every this many verdicts (0: never), as a queue set to
    /// `reestimate --every 10` does. A verdict moves its pattern's score, and the gain order
    /// brings a pattern at most one pair sooner, only at the next re-estimation, so 10 learns
    /// sooner than 50 did (Benchmarks/README, "How often to re-estimate").
    public var reestimateEvery = 10
    public var order = Order.uncertainty
    public var seed: UInt64 = 1
    /// The model each re-estimation keeps (`clerical reestimate --model`).
    public var model = ModelRequest.auto
    /// This share of the verdicts goes to audit pairs, drawn as `qa audit` draws them
    /// (stratified by band) before the first verdict.
    public var auditShare = 0.0
    /// How that audit splits its sample across the strata (`qa audit --allocation`).
    public var auditAllocation = AuditAllocation.proportional
    /// Where to keep the simulated queue when it is done (a new file), so that what the
    /// verdicts and re-estimations left can be looked at: which patterns remain wrong, and why.
    public var keepQueue: String?

    public init() {}
}

/// One point of the learning curve.
public struct LearningStep: Sendable, Codable, Equatable {
    public var verdicts: Int
    public var modelVersion: Int64
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// The largest change of a level weight made by the re-estimation at this step, in bits.
    public var largestWeightChange: Double
    /// The model the queue was scored with at this step (`ModelCandidate.name`: "imported",
    /// "dependent (candidate set)", …), so a curve's dips can be traced to the model kept.
    public var model: String
    public var pending: Int
    /// `qa quality`'s estimate of the final decisions (verdicts where given, the model elsewhere).
    public var estimate: EstimateAtStep
    /// The final decisions scored against the truth file: what `estimate` estimates.
    public var final: FinalScore

    public struct EstimateAtStep: Sendable, Codable, Equatable {
        public var precision: Double
        public var precisionLow: Double
        public var precisionHigh: Double
        public var recall: Double
        public var recallLow: Double
        public var recallHigh: Double
        public var f1: Double
        /// What the intervals rest on (`QualityEstimate.Basis`).
        public var intervalBasis: QualityEstimate.Basis
    }

    public struct FinalScore: Sendable, Codable, Equatable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
    }
}

public struct SimulationReport: Sendable, Codable, Equatable {
    public var queue: String
    public var order: String
    public var reviewers: Int
    public var errorRate: Double
    public var seed: UInt64
    /// Pairs of the queue the truth file covers: the pairs every step is scored on.
    public var pairsWithTruth: Int
    /// Pairs given "unsure" because the truth file did not cover them.
    public var unsureWithoutTruth: Int
    /// Verdicts that the simulated reviewers got wrong on purpose (the error rate).
    public var wrongVerdicts: Int
    public var steps: [LearningStep]
    /// Why the simulation stopped before its budget, if it did.
    public var stoppedEarly: String?
}

/// Simulated reviewers who decide from a ground-truth file, wrong at a given rate, through the
/// same claims and decisions as people, with re-estimation along the way. It works on a
/// private copy of the queue: the queue itself is left as it was.
///
///     var plan = SimulationPlan()
///     plan.decisions = 300
///     let report = try Simulation.run(queue: "queue.db", truth: "truth.csv", plan: plan)
public enum Simulation {
    public static func run(queue path: String, truth truthPath: String, plan: SimulationPlan) throws(ClericalError) -> SimulationReport {
        if let keep = plan.keepQueue, FileManager.default.fileExists(atPath: keep) {
            throw ClericalError(.cannotCreate, "\(keep): already exists: the simulated queue is kept in a new file")
        }
        let truth = try TruthFile(path: truthPath)
        let workPath = try copyOfQueue(path)
        defer { QueueFile.remove(path: workPath) }
        let report: SimulationReport
        do {
            report = try simulate(workPath, displayPath: path, truth: truth, truthPath: truthPath, plan: plan)
        } catch {
            throw ReviewQueue.clericalError(error, path: path)
        }
        if let keep = plan.keepQueue { try keepCopy(workPath, at: keep) }
        return report
    }

    /// Moves the finished simulated queue (closed, so its log is checkpointed) beside `path`
    /// under a temporary name, then renames it: `path` appears whole or not at all.
    private static func keepCopy(_ workPath: String, at path: String) throws(ClericalError) {
        let url = URL(fileURLWithPath: path)
        let staging = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial").path
        do {
            try? FileManager.default.removeItem(atPath: staging)
            try FileManager.default.moveItem(atPath: workPath, toPath: staging)
            guard rename(staging, path) == 0 else {
                throw ClericalError(.cannotCreate, "\(path): cannot keep the simulated queue: \(String(cString: strerror(errno)))")
            }
        } catch let error as ClericalError {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw ClericalError(.cannotCreate, "\(path): cannot keep the simulated queue: \(error.localizedDescription)")
        }
    }

    private static func simulate(_ workPath: String, displayPath: String, truth: TruthFile, truthPath: String,
                                 plan: SimulationPlan) throws -> SimulationReport {
        let database = try QueueFile.open(path: workPath)
        defer { try? database.close() }
        let scored = try database.read { db in try pairsWithTruth(db, truth) }
        guard !scored.isEmpty else {
            throw ClericalError(.dataError, "no pair of the queue is in the truth file (matched on \(truth.hasDatasets ? "source dataset and " : "")unique ids)",
                                at: InputLocation(file: truthPath))
        }
        let truthByPair = Dictionary(scored.map { ($0.pairID, $0.isMatch) }, uniquingKeysWith: { first, _ in first })

        var report = SimulationReport(
            queue: displayPath, order: plan.order.rawValue, reviewers: plan.reviewers, errorRate: plan.errorRate, seed: plan.seed,
            pairsWithTruth: scored.count, unsureWithoutTruth: 0, wrongVerdicts: 0, steps: [], stoppedEarly: nil)
        func measure(verdicts: Int, weightChange: Double, model: String) throws {
            let (version, probabilities, pending, final, estimate) = try database.read { db in
                (try Int64.fetchOne(db, sql: "SELECT max(id) FROM model_version") ?? 0,
                 Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, match_probability FROM pattern").map {
                     ($0["id"] as Int64, $0["match_probability"] as Double)
                 }),
                 try Int.fetchOne(db, sql: "SELECT count FROM band_count WHERE in_band = 1") ?? 0,
                 Dictionary(try FinalVerdictQuery.all(db).filter { $0.verdict != .unsure }.map { ($0.pairID, $0.verdict == .match) },
                            uniquingKeysWith: { first, _ in first }),
                 try LinkageQualityReport.estimate(db))
            }
            var score = ClassificationScore(), finalScore = ClassificationScore()
            for pair in scored {
                let byModel = (probabilities[pair.patternID] ?? 0) >= 0.5
                score.add(predicted: byModel, actual: pair.isMatch)
                finalScore.add(predicted: final[pair.pairID] ?? byModel, actual: pair.isMatch)
            }
            report.steps.append(LearningStep(
                verdicts: verdicts, modelVersion: version, precision: score.precision,
                recall: score.recall, f1: score.f1, largestWeightChange: weightChange, model: model, pending: pending,
                estimate: .init(precision: estimate.precision.estimate, precisionLow: estimate.precision.low, precisionHigh: estimate.precision.high,
                                recall: estimate.recall.estimate, recallLow: estimate.recall.low, recallHigh: estimate.recall.high,
                                f1: estimate.f1.estimate, intervalBasis: estimate.intervalBasis),
                final: .init(precision: finalScore.precision, recall: finalScore.recall, f1: finalScore.f1)))
        }
        var currentModel = ModelKind.imported.rawValue
        try measure(verdicts: 0, weightChange: 0, model: currentModel)
        if plan.auditShare > 0 {
            var audit = AuditRequest(size: .count(Int((Double(plan.decisions) * plan.auditShare).rounded())))
            audit.share = plan.auditShare
            audit.seed = plan.seed
            audit.allocation = plan.auditAllocation
            let eligible = try database.read { db in
                try Int.fetchOne(db, sql: "SELECT count FROM band_count WHERE in_band = 0") ?? 0
            }
            if case .count(let n) = audit.size, n > eligible { audit.size = .count(eligible) }
            if case .count(let n) = audit.size, n > 0 {
                _ = try database.write { db in try QualityAudit.draw(db, audit, by: "simulation") }
            }
        }

        let reviewers = try (1...plan.reviewers).map { n throws(ClericalError) in
            try ReviewQueue(path: workPath, reviewer: "simulated-\(n)")
        }
        defer { reviewers.forEach { $0.close() } }
        var random = SeededGenerator(seed: plan.seed)
        var verdicts = 0
        var measuredAt = 0
        func reestimate() throws {
            var request = ReestimationRequest()
            request.model = plan.model
            let reestimated = try Reestimation.run(database, request: request)
            if let kind = reestimated?.model {
                currentModel = ModelCandidate(kind: kind, conditional: reestimated?.conditionalOnCandidates ?? false).name
            }
            try measure(verdicts: verdicts, weightChange: reestimated?.largestWeightChange ?? 0, model: currentModel)
            measuredAt = verdicts
        }
        while verdicts < plan.decisions {
            let reviewer = reviewers[verdicts % reviewers.count]
            func claim() throws -> ReviewPair? {
                plan.order == .uncertainty
                    ? try reviewer.claimNext()
                    : try reviewer.claimRandom(at: Double.random(in: 0..<1, using: &random))
            }
            var claimed = try claim()
            if claimed == nil, plan.reestimateEvery > 0, measuredAt < verdicts {
                // The queue ran dry: re-estimating may bring pairs into the review band.
                try reestimate()
                claimed = try claim()
            }
            guard let pair = claimed else {
                report.stoppedEarly = "no pair left to review after \(verdicts) verdicts"
                break
            }
            let verdict: Verdict
            if let isMatch = truthByPair[pair.id] {
                let wrong = plan.errorRate > 0 && Double.random(in: 0..<1, using: &random) < plan.errorRate
                if wrong { report.wrongVerdicts += 1 }
                verdict = isMatch != wrong ? .match : .nonMatch
            } else {
                verdict = .unsure
                report.unsureWithoutTruth += 1
            }
            try reviewer.decide(pair.id, verdict, note: nil, shown: pair.score)
            verdicts += 1
            if plan.reestimateEvery > 0, verdicts % plan.reestimateEvery == 0 { try reestimate() }
        }
        if measuredAt < verdicts {
            if plan.reestimateEvery > 0 { try reestimate() } else { try measure(verdicts: verdicts, weightChange: 0, model: currentModel) }
        }
        return report
    }

    private struct ScoredPair {
        var pairID: Int64
        var patternID: Int64
        var isMatch: Bool
    }

    /// The queue's pairs that the truth file covers, matched in either orientation.
    private static func pairsWithTruth(_ db: Database, _ truth: TruthFile) throws -> [ScoredPair] {
        struct Key: Hashable { var left: TruthFile.RecordKey; var right: TruthFile.RecordKey }
        var truthByKey: [Key: Bool] = [:]
        for entry in truth.entries {
            truthByKey[Key(left: entry.left, right: entry.right)] = entry.isMatch
            truthByKey[Key(left: entry.right, right: entry.left)] = entry.isMatch
        }
        let pairs = try RawStatement(db, sql: """
            SELECT p.id, p.pattern_id, l.source_dataset, l.unique_id, r.source_dataset, r.unique_id
            FROM pair p JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
            """)
        var result: [ScoredPair] = []
        try pairs.each { row in
            let left = TruthFile.RecordKey(dataset: truth.hasDatasets ? row.text(2) ?? "" : "", uniqueID: row.text(3) ?? "")
            let right = TruthFile.RecordKey(dataset: truth.hasDatasets ? row.text(4) ?? "" : "", uniqueID: row.text(5) ?? "")
            if let isMatch = truthByKey[Key(left: left, right: right)] {
                result.append(ScoredPair(pairID: row.int64(0), patternID: row.int64(1), isMatch: isMatch))
            }
        }
        return result
    }

    /// A private copy of the queue in the temporary directory, taken with SQLite's backup so
    /// that a queue in use copies consistently.
    private static func copyOfQueue(_ path: String) throws(ClericalError) -> String {
        let source = try QueueFile.open(path: path)
        defer { try? source.close() }
        let copy = NSTemporaryDirectory() + "clerical-simulation-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).db"
        do {
            let destination = try DatabaseQueue(path: copy)
            try source.backup(to: destination)
            try destination.close()
        } catch {
            QueueFile.remove(path: copy)
            throw ClericalError(.cannotCreate, "\(copy): cannot copy the queue for the simulation: \(QueueFile.describe(error))")
        }
        return copy
    }
}
