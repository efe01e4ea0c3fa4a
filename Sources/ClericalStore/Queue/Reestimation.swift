import ClericalCore
import Foundation
import GRDB

/// What to re-estimate and what to do with the result.
public struct ReestimationRequest: Sendable {
    public var options = EstimationOptions()
    public var targetFalseMatchRate = 0.01
    public var targetMissedMatchRate = 0.01
    /// Pending pairs that leave the review band are decided by the model (back to `auto`);
    /// without it they stay in the queue and are only counted.
    public var decideOutsideBand = false
    /// Automatic mode: go ahead only if the queue's `reestimate_every` is due, and give way
    /// if another process re-estimates first.
    public var onlyIfDue = false
    /// Which model to keep: the independent one, the corrected one, or (`auto`) whichever best
    /// predicts verdicts it was not fitted on, the imported model included.
    public var model = ModelRequest.auto

    public init() {}
}

/// What a re-estimation changed.
public struct ReestimationReport: Sendable, Codable, Equatable {
    public struct Level: Sendable, Codable, Equatable {
        public var comparison: String
        public var label: String
        public var gamma: Int
        public var before: LevelParameters
        public var after: LevelParameters
    }

    public struct Labels: Sendable, Codable, Equatable {
        public var matches = 0
        public var nonMatches = 0
        public var unsure = 0
    }

    public struct BandMoves: Sendable, Codable, Equatable {
        public var band: String
        /// Pairs the model had decided that now fall inside the band: queued for review.
        public var movedIntoReview = 0
        /// Pending pairs now outside the band.
        public var leftReview = 0
        /// Of those, how many the model decided (only with `decideOutsideBand`).
        public var decidedByModel = 0
        /// Pending pairs whose pattern the kept model decides the other way from the imported
        /// model: queued, so that people check the change where no verdict has reached. Absent
        /// in reports written before contested patterns were queued.
        public var contested: Int?
    }

    public var modelVersion: Int64
    public var previousModelVersion: Int64
    public var lambdaBefore: Double
    public var lambdaAfter: Double
    public var iterations: Int
    public var converged: Bool
    public var logLikelihood: Double
    public var fixedU: Bool
    public var labels: Labels
    public var pairs: Int
    public var patterns: Int
    public var levels: [Level]
    public var band: BandMoves
    public var thresholds: ThresholdSuggestion
    public var seconds: Double

    /// An interaction the correction learned: two comparison levels together, in bits.
    public struct Interaction: Sendable, Codable, Equatable {
        public var first: String
        public var second: String
        public var bits: Double
    }

    /// The model kept (imported, independent, dependent) and why. Absent in reports written
    /// before models beyond independence.
    public var model: ModelKind?
    public var modelReason: String?
    /// Mean held-out log-loss per verdict (nats) of each model weighed, by name ("imported",
    /// "independent", "dependent (candidate set)", …).
    public var heldOutLogLoss: [String: Double]?
    /// Whether the kept model's independent part was fitted over the candidate set.
    public var conditionalOnCandidates: Bool?
    /// How the refits' overturns have fared where nobody had looked (`OverturnRecord`), and the
    /// open pairs of overturned patterns without a verdict whose decision stayed the imported
    /// model's because that record does not yet bear them out.
    public var overturnRecord: OverturnRecord?
    public var heldOverturns: Int?
    public var interactions: [Interaction]?
    /// The corrected model's ridge penalty (1/nats²), when cross-validation chose it among
    /// `ModelSelection.penalties`.
    public var correctionPenalty: Double?
    /// Pairs whose decision at probability 0.5 changed with this re-estimation.
    public var pairsChangedDecision: Int?

    /// The largest change of any level's weight, in bits.
    public var largestWeightChange: Double {
        levels.map { abs($0.after.weight - $0.before.weight) }.max() ?? 0
    }
}

/// Re-estimates the queue's model from every pair and every final verdict, stores it as a new
/// model version, re-scores every pattern and re-orders the pending queue.
///
/// The reading and the EM run on a snapshot, outside any write lock; the writing is one
/// short IMMEDIATE transaction over the pattern rows (`PatternBand`), so reviewers barely wait.
///
///     let report = try Reestimation.run(queue: "queue.db", request: ReestimationRequest())
public enum Reestimation {
    /// Returns nil only in automatic mode, when re-estimation was not due or another process
    /// did it first.
    public static func run(queue path: String, request: ReestimationRequest) throws(ClericalError) -> ReestimationReport? {
        let database = try QueueFile.open(path: path)
        defer { try? database.close() }
        do {
            return try run(database, request: request)
        } catch {
            throw ReviewQueue.clericalError(error, path: path)
        }
    }

    /// Turns automatic re-estimation on (every `every` verdicts) or off (0).
    public static func setAutomatic(queue path: String, every: Int) throws(ClericalError) {
        try QueueFile.using(path, writing: true) { db in
            var settings = try QueueSettings.load(db)
            settings.reestimateEvery = every > 0 ? every : nil
            try settings.save(db)
        }
    }

    /// True when the queue asks for automatic re-estimation and enough verdicts have come in.
    static func isDue(_ db: some QueueReading) throws -> Bool {
        guard let every = try QueueSettings.load(db).reestimateEvery else { return false }
        return try verdictsSinceModel(db) >= every
    }

    /// Verdicts given since the current model version was estimated.
    package static func verdictsSinceModel(_ db: some QueueReading) throws -> Int {
        let watermark = try db.queueRow("SELECT decision_watermark FROM model_version ORDER BY id DESC LIMIT 1")?
            .optionalInt64("decision_watermark") ?? 0
        let since = try db.queueRow("SELECT count(*) AS since FROM decision WHERE id > ? AND verdict IS NOT NULL",
                                    [.integer(watermark)])?.int("since") ?? 0
        return since
    }

    /// The queue's pairs one by one (comparison vector and final verdict) with the current
    /// model: what a pair-by-pair EM needs, to check the pattern EM against and to benchmark it.
    public static func pairByPairInputs(queue path: String) throws(ClericalError) -> (start: FellegiSunterModel, gammas: [[Int]], labels: [Verdict?]) {
        try QueueFile.using(path) { db in
            let labelled = try FinalVerdictQuery.all(db)
            guard let snapshot = try takeSnapshot(db, onlyIfDue: false, labelled: labelled) else {
                throw ClericalError(.dataError, "the queue has no model yet; import predictions first")
            }
            let verdictByPair = Dictionary(labelled.map { ($0.pairID, $0.verdict) }, uniquingKeysWith: { first, _ in first })
            let gammasByPattern = Dictionary(uniqueKeysWithValues: zip(snapshot.patternIDs, snapshot.tallies.map(\.gammas)))
            var gammas: [[Int]] = [], labels: [Verdict?] = []
            try RawStatement(db, sql: "SELECT id, pattern_id FROM pair ORDER BY id").each { row in
                gammas.append(gammasByPattern[row.int64(1)] ?? [])
                labels.append(verdictByPair[row.int64(0)])
            }
            return (snapshot.model.withStartingProbabilities(from: snapshot.tallies), gammas, labels)
        }
    }

    /// What a re-estimation reads, in one consistent look at the queue.
    package struct Snapshot {
        var versionID: Int64
        var model: FellegiSunterModel
        var patternIDs: [Int64]
        var tallies: [PatternTally]
        var labels = ReestimationReport.Labels()
        var watermark: Int64
        var band: ReviewBand
        /// The model the queue was imported with: what `auto` must never do worse than.
        var imported: FellegiSunterModel
        var labelledPairs: [LabelledPair]
        /// Each pattern's probability under the current scores (to count changed decisions).
        var currentProbabilities: [Double]
        /// The current version's overturn record with the verdicts given since on patterns it
        /// overturned that had none when it was kept.
        var overturnRecord = OverturnRecord()
        /// The patterns the current version's model (before any hold) overturns.
        var overturnedByCurrent: Set<Int64> = []
    }

    static func run(_ database: DatabaseQueue, request: ReestimationRequest) throws -> ReestimationReport? {
        let started = ContinuousClock.now
        guard let snapshot = try database.read({ db in try takeSnapshot(db, onlyIfDue: request.onlyIfDue) }) else { return nil }
        let estimate = self.estimate(snapshot, request: request)
        return try database.writeWithoutTransaction { db -> ReestimationReport? in
            var report: ReestimationReport?
            try db.inTransaction(.immediate) {
                if request.onlyIfDue {
                    let newest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM model_version")
                    guard newest == snapshot.versionID, try isDue(db) else { return .rollback }
                }
                report = try store(db, estimate, snapshot: snapshot, request: request, started: started)
                return .commit
            }
            return report
        }
    }

    /// The same on a server: `snapshot` read in one read-only transaction, `store` written in
    /// another (the caller's), with the EM between them holding no lock.
    package static func snapshot(_ db: some QueueReading) throws -> Snapshot {
        guard let snapshot = try takeSnapshot(db, onlyIfDue: false) else {
            throw ClericalError(.dataError, "the queue has no model yet; import predictions first")
        }
        return snapshot
    }

    /// The models weighed and the one kept, from a snapshot: no database.
    package struct Estimate {
        fileprivate var selection: ModelSelection
        fileprivate var scorer: any PatternScoring
        fileprivate var thresholds: ThresholdSuggestion
        fileprivate var changedDecision: Int
        fileprivate var interactions: [ReestimationReport.Interaction]
        fileprivate var start: FellegiSunterModel
        /// What the model version stores: the independent model's m, u and λ, except when the
        /// imported model is kept.
        fileprivate var stored: FellegiSunterModel
        /// Patterns whose overturn is held: the imported model's score stands for them.
        fileprivate var held: Set<Int64>
    }

    package static func estimate(_ snapshot: Snapshot, request: ReestimationRequest) -> Estimate {
        let start = snapshot.model.withStartingProbabilities(from: snapshot.tallies)
        let selection = ModelSelection.run(imported: snapshot.imported, start: start, tallies: snapshot.tallies,
                                           labelled: snapshot.labelledPairs, request: request.model, options: request.options)
        let scorer = selection.scorer(imported: snapshot.imported)
        var scores = snapshot.tallies.map { scorer.score(gammas: $0.gammas) }
        // With `auto`, an overturn of what the imported model decided alone (outside the band),
        // on a pattern no verdict has reached, stands only when the model before made it too and
        // the record of such overturns bears them out; until then it is held. (A model asked
        // for by name decides as it is.)
        var held: Set<Int64> = []
        if request.model == .auto, selection.chosen != .imported {
            let trusted = snapshot.overturnRecord.trusted
            for (i, tally) in snapshot.tallies.enumerated() where tally.matches + tally.nonMatches == 0 {
                let imported = snapshot.imported.score(gammas: tally.gammas)
                if (imported.matchProbability >= 0.5) != (scores[i].matchProbability >= 0.5),
                   !snapshot.band.contains(matchWeight: imported.matchWeight, matchProbability: imported.matchProbability),
                   !(trusted && snapshot.overturnedByCurrent.contains(snapshot.patternIDs[i])) {
                    held.insert(snapshot.patternIDs[i])
                    scores[i] = imported
                }
            }
        }
        let thresholds = ThresholdSuggestion.suggest(
            scored: zip(scores, snapshot.tallies).map { ($0.matchProbability, $1.total) },
            targetFalseMatchRate: request.targetFalseMatchRate, targetMissedMatchRate: request.targetMissedMatchRate)
        let changedDecision = zip(snapshot.currentProbabilities, zip(scores, snapshot.tallies)).reduce(0) { total, item in
            let (before, (after, tally)) = item
            return total + ((before >= 0.5) != (after.matchProbability >= 0.5) ? tally.total : 0)
        }
        let comparisons = start.comparisons
        func levelName(_ k: Int, _ gamma: Int) -> String {
            let label = comparisons[k].levels.first { $0.gamma == gamma }?.label ?? "gamma \(gamma)"
            return "\(comparisons[k].name): \(label)"
        }
        let interactions = selection.chosen == .dependent
            ? (selection.correction?.strongestInteractions(8) ?? []).map { term, bits in
                ReestimationReport.Interaction(first: levelName(term.first, term.firstGamma),
                                               second: levelName(term.second!, term.secondGamma!), bits: bits)
            }
            : []
        return Estimate(selection: selection, scorer: scorer, thresholds: thresholds, changedDecision: changedDecision,
                        interactions: interactions, start: start,
                        stored: selection.chosen == .imported ? snapshot.imported : selection.independent.model, held: held)
    }

    /// Writes the estimate, in the caller's transaction: the new model version with its report,
    /// and every pattern re-scored.
    package static func store(_ db: some QueueWriting, _ estimate: Estimate, snapshot: Snapshot, request: ReestimationRequest,
                              started: ContinuousClock.Instant) throws -> ReestimationReport {
        let selection = estimate.selection, result = selection.independent, stored = estimate.stored
        let labelCount = snapshot.labels.matches + snapshot.labels.nonMatches
        let note: String
        switch selection.chosen {
        case .imported: note = "kept the imported model: \(selection.reason)"
        case .independent: note = (selection.conditional ? "fitted over the candidate set; " : "") + (request.options.fixU ? "re-estimated m and λ from the queue (u kept)" : "re-estimated m, u and λ from the queue") + "; independent model: \(selection.reason)"
        case .dependent: note = (selection.conditional ? "fitted over the candidate set; " : "") + "re-estimated m, u and λ, with a correction learned from verdicts; dependent model: \(selection.reason)"
        }
        let versionID = try ModelStore.insertModelVersion(
            db, stored, origin: .reestimated, note: note,
            labelCount: labelCount, iterations: result.iterations, logLikelihood: result.logLikelihood,
            decisionWatermark: snapshot.watermark, kind: selection.chosen,
            correction: selection.chosen == .dependent ? selection.correction : nil)
        let moved = try PatternBand.rescore(db, with: estimate.scorer, band: snapshot.band,
                                            decideOutsideBand: request.decideOutsideBand,
                                            contestedBy: selection.chosen == .imported ? nil : snapshot.imported,
                                            holding: estimate.held)
        var moves = ReestimationReport.BandMoves(band: snapshot.band.description)
        moves.movedIntoReview = moved.movedIntoReview
        moves.leftReview = moved.leftReview
        moves.decidedByModel = moved.decidedByModel
        moves.contested = moved.contested

        var levels: [ReestimationReport.Level] = []
        for (k, comparison) in estimate.start.comparisons.enumerated() {
            for (i, level) in comparison.levels.enumerated() where !level.isNull {
                levels.append(.init(comparison: comparison.name, label: level.label, gamma: level.gamma,
                                    before: snapshot.model.parameters[k][i], after: stored.parameters[k][i]))
            }
        }
        var finished = ReestimationReport(
            modelVersion: versionID, previousModelVersion: snapshot.versionID,
            lambdaBefore: snapshot.model.lambda, lambdaAfter: stored.lambda,
            iterations: result.iterations, converged: result.converged, logLikelihood: result.logLikelihood,
            fixedU: request.options.fixU, labels: snapshot.labels,
            pairs: snapshot.tallies.reduce(0) { $0 + $1.total }, patterns: snapshot.tallies.count,
            levels: levels, band: moves, thresholds: estimate.thresholds,
            seconds: (ContinuousClock.now - started).seconds)
        finished.model = selection.chosen
        finished.modelReason = selection.reason
        finished.heldOutLogLoss = selection.heldOutLogLoss.isEmpty ? nil : selection.heldOutLogLoss
        finished.conditionalOnCandidates = selection.chosen == .imported ? nil : selection.conditional
        finished.overturnRecord = snapshot.overturnRecord
        finished.heldOverturns = moved.held
        finished.interactions = estimate.interactions
        finished.correctionPenalty = selection.chosenPenalty
        finished.pairsChangedDecision = estimate.changedDecision
        let json = String(decoding: try JSONEncoder().encode(finished), as: UTF8.self)
        try db.queueExecute("UPDATE model_version SET report = ? WHERE id = ?", [.text(json), .integer(versionID)])
        return finished
    }

    /// `labelled`: the final verdicts, when the caller has read them already.
    private static func takeSnapshot(_ db: some QueueReading, onlyIfDue: Bool, labelled: [FinalVerdictQuery.Labelled]? = nil) throws -> Snapshot? {
        if onlyIfDue, try !isDue(db) { return nil }
        guard let current = try ModelStore.currentModel(db) else {
            throw ClericalError(.dataError, "the queue has no model yet; import predictions first")
        }
        var patternIDs: [Int64] = []
        var tallies: [PatternTally] = []
        var indexByPattern: [Int64: Int] = [:]
        var currentProbabilities: [Double] = []
        for row in try db.queueRows("SELECT id, gammas, pair_count, match_probability FROM pattern ORDER BY id") {
            indexByPattern[row.int64("id")] = tallies.count
            patternIDs.append(row.int64("id"))
            tallies.append(PatternTally(gammas: PatternKey.gammas(row.text("gammas")), unlabelled: row.int("pair_count")))
            currentProbabilities.append(row.double("match_probability"))
        }
        var labels = ReestimationReport.Labels()
        var labelledPairs: [LabelledPair] = []
        for labelled in try labelled ?? FinalVerdictQuery.all(db) {
            guard let p = indexByPattern[labelled.patternID] else { continue }
            switch labelled.verdict {
            case .match:
                tallies[p].unlabelled -= 1
                tallies[p].matches += 1
                labels.matches += 1
                labelledPairs.append(LabelledPair(pattern: p, isMatch: true, pairID: labelled.pairID))
            case .nonMatch:
                tallies[p].unlabelled -= 1
                tallies[p].nonMatches += 1
                labels.nonMatches += 1
                labelledPairs.append(LabelledPair(pattern: p, isMatch: false, pairID: labelled.pairID))
            case .unsure:
                labels.unsure += 1
            }
        }
        let settings = try QueueSettings.load(db)
        let imported = try ModelStore.importedModel(db) ?? current.model
        let band = settings.reviewBand ?? .default
        var snapshot = Snapshot(
            versionID: current.id, model: current.model, patternIDs: patternIDs, tallies: tallies, labels: labels,
            watermark: try db.queueRow("SELECT max(id) AS newest FROM decision")?.optionalInt64("newest") ?? 0,
            band: band,
            imported: imported,
            labelledPairs: labelledPairs, currentProbabilities: currentProbabilities)
        (snapshot.overturnRecord, snapshot.overturnedByCurrent) = try overturns(
            db, current: current, imported: imported, band: band, gammas: Dictionary(uniqueKeysWithValues: zip(patternIDs, tallies.map(\.gammas))))
        return snapshot
    }

    /// The current version's overturn record (in its report) with what has come in since: each
    /// verdict after its watermark on a pattern that had no verdict then, that the imported
    /// model decided alone (outside `band`), and that the version's model (its base with its
    /// correction, before any hold) decides the other way. Also the patterns that model so
    /// overturns.
    private static func overturns(_ db: some QueueReading, current: (id: Int64, model: FellegiSunterModel),
                                  imported: FellegiSunterModel, band: ReviewBand, gammas: [Int64: [Int]]) throws -> (OverturnRecord, Set<Int64>) {
        guard let version = try db.queueRow("SELECT decision_watermark, report, correction, kind FROM model_version WHERE id = ?",
                                            [.integer(current.id)])
        else { return (OverturnRecord(), []) }
        let record = version.optionalText("report").flatMap {
            try? JSONDecoder().decode(StoredOverturnRecord.self, from: Data($0.utf8)).overturnRecord
        } ?? OverturnRecord()
        // A version that kept the imported model overturned nothing; its record carries over.
        guard let kind = version.optionalText("kind").flatMap(ModelKind.init(rawValue:)), kind != .imported else { return (record, []) }
        let scorer: any PatternScoring = version.optionalText("correction").flatMap {
            try? JSONDecoder().decode(InteractionCorrection.self, from: Data($0.utf8))
        }.map { CorrectedModel(base: current.model, correction: $0) } ?? current.model
        let watermark = version.optionalInt64("decision_watermark") ?? 0
        let overturned = Set(gammas.compactMap { pattern, vector -> Int64? in
            let before = imported.score(gammas: vector)
            guard !band.contains(matchWeight: before.matchWeight, matchProbability: before.matchProbability) else { return nil }
            return (scorer.score(gammas: vector).matchProbability >= 0.5) != (before.matchProbability >= 0.5) ? pattern : nil
        })
        var fresh = OverturnRecord()
        var seenBefore: Set<Int64> = []
        for row in try db.queueRows("""
            SELECT p.pattern_id, d.id, d.verdict FROM decision d JOIN pair p ON p.id = d.pair_id
            WHERE d.verdict IN ('match', 'non-match') ORDER BY d.id
            """) {
            let pattern = row.int64("pattern_id")
            guard row.int64("id") > watermark else { seenBefore.insert(pattern); continue }
            guard !seenBefore.contains(pattern), overturned.contains(pattern), let vector = gammas[pattern] else { continue }
            let overturning = scorer.score(gammas: vector).matchProbability >= 0.5
            fresh.add(agreesWithOverturn: (row.text("verdict") == "match") == overturning)
        }
        return (record + fresh, overturned)
    }
}

/// The one field of a stored re-estimation report that the next re-estimation reads.
private struct StoredOverturnRecord: Decodable { var overturnRecord: OverturnRecord? }

/// Runs automatic re-estimation on a background thread, one at a time per process, so the
/// reviewer whose verdict made it due never waits for it.
public final class BackgroundReestimation: @unchecked Sendable {
    private let lock = NSLock()
    private var running = false
    private let group = DispatchGroup()

    public init() {}

    /// Starts a re-estimation of the queue unless one is already running here. It gives way
    /// if another process re-estimates first.
    public func start(queue path: String) {
        lock.lock()
        defer { lock.unlock() }
        guard !running else { return }
        running = true
        group.enter()
        Thread.detachNewThread { [self] in
            var request = ReestimationRequest()
            request.onlyIfDue = true
            _ = try? Reestimation.run(queue: path, request: request)
            lock.lock()
            running = false
            lock.unlock()
            group.leave()
        }
    }

    /// Waits for a running re-estimation to finish (on quit), at most `seconds`.
    public func wait(seconds: Double = 30) {
        _ = group.wait(timeout: .now() + seconds)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
