import ClericalCore
import Foundation
import GRDB

/// Everything `clerical status` reports. Its JSON keys are a documented, stable interface
/// (README.md, "status --json"): add keys, never rename them.
public struct QueueStatus: Sendable, Equatable, Codable {
    public struct Band: Sendable, Equatable, Codable {
        public var kind: String
        public var low: Double
        public var high: Double
    }

    public struct ProbabilityBin: Sendable, Equatable, Codable {
        public var low: Double
        public var high: Double
        public var count: Int
    }

    public struct Level: Sendable, Equatable, Codable {
        public var gamma: Int
        public var label: String
        public var isNull: Bool
        public var m: Double?
        public var u: Double?
        public var weight: Double
    }

    public struct ComparisonSummary: Sendable, Equatable, Codable {
        public var name: String
        public var description: String?
        public var levels: [Level]
    }

    public struct ModelVersion: Sendable, Equatable, Codable {
        public var id: Int64
        public var createdAt: String
        public var origin: String
        public var lambda: Double
        public var labelCount: Int?
        public var iterations: Int?
        public var logLikelihood: Double?
        public var note: String?
    }

    public struct ReviewerDecisions: Sendable, Equatable, Codable {
        public var reviewer: String
        public var match = 0
        public var nonMatch = 0
        public var unsure = 0
        public var total = 0
    }

    public struct Decisions: Sendable, Equatable, Codable {
        public var total = 0
        public var match = 0
        public var nonMatch = 0
        public var unsure = 0
        public var byReviewer: [ReviewerDecisions] = []
    }

    public var queue: String
    public var linkType: String
    public var reviewBand: Band
    public var pairs: QueueCounts
    public var pendingByProbability: [ProbabilityBin]
    public var records: Int
    public var patterns: Int
    public var comparisons: [ComparisonSummary]
    public var modelVersions: [ModelVersion]
    public var decisions: Decisions
    /// The supervisor dashboard's figures: reviewers, claims, pace and finish, the last
    /// re-estimation.
    public var team = TeamFigures()
    /// The linkage quality of the queue's final decisions, as `clerical qa quality` gives it.
    public var quality: QualityEstimate?

    /// Reads the status of an open queue, the team's figures included.
    static func read(_ database: DatabaseQueue, path: String) throws(ClericalError) -> QueueStatus {
        do {
            return try database.read { db in try whole(db, path: path) }
        } catch let error as ClericalError {
            throw error
        } catch {
            throw ClericalError(.ioError, "\(path): \(QueueFile.describe(error))")
        }
    }

    /// A live screen's figures: counts, pending pairs by probability, model versions.
    public struct Live: Equatable, Sendable {
        public var pairs: QueueCounts
        public var pendingByProbability: [ProbabilityBin]
        public var modelVersions: [ModelVersion]
    }

    /// What a live screen refreshes every second: counts, pending pairs by probability and
    /// model versions, from the counter tables and the pattern rows; no table of pairs or
    /// decisions is read.
    static func live(_ database: DatabaseQueue) throws(ClericalError) -> Live {
        do {
            return try database.read { db in try live(db) }
        } catch {
            throw ClericalError(.ioError, "cannot read the queue: \(QueueFile.describe(error))")
        }
    }

    /// The whole status, the team's figures and linkage quality with it, read through one
    /// snapshot of the queue on either backend (`place` is what the report calls the queue).
    package static func whole(_ db: some QueueReading, path place: String, now: Date = Date()) throws -> QueueStatus {
        var status = try read(db, path: place)
        status.team = try TeamActivity().update(db, now: now)
        status.quality = try LinkageQualityReport.estimate(db)
        return status
    }

    /// The live figures on either backend.
    package static func live(_ db: some QueueReading) throws -> Live {
        Live(pairs: try counts(db), pendingByProbability: try pendingBins(db), modelVersions: try versions(db))
    }

    static func counts(_ db: some QueueReading) throws -> QueueCounts {
        try QueueCounts.read { ReadingStatement(db, sql: $0) }
    }

    /// Pending pairs are the open pairs of queued patterns: a few thousand rows to read, put in
    /// tenths of probability here (a cast to integer truncates in SQLite and rounds in PostgreSQL).
    static func pendingBins(_ db: some QueueReading) throws -> [ProbabilityBin] {
        var bins = (0..<10).map { ProbabilityBin(low: Double($0) / 10, high: Double($0 + 1) / 10, count: 0) }
        for row in try db.queueRows("SELECT match_probability, open_count FROM pattern WHERE in_band = 1 AND open_count > 0") {
            let bin = min(Int(row.double("match_probability") * 10), 9)
            bins[max(0, bin)].count += row.int("open_count")
        }
        return bins
    }

    static func versions(_ db: some QueueReading) throws -> [ModelVersion] {
        try db.queueRows("""
            SELECT id, created_at, origin, lambda, label_count, iterations, log_likelihood, note FROM model_version ORDER BY id
            """).map { row in
            ModelVersion(id: row.int64("id"), createdAt: row.text("created_at"), origin: row.text("origin"), lambda: row.double("lambda"),
                         labelCount: row.optionalInt("label_count"), iterations: row.optionalInt("iterations"),
                         logLikelihood: row.optionalDouble("log_likelihood"), note: row.optionalText("note"))
        }
    }

    static func read(_ db: some QueueReading, path: String) throws -> QueueStatus {
        let settings = try QueueSettings.load(db)
        let band: Band
        switch settings.reviewBand ?? .default {
        case let .probability(low, high): band = Band(kind: "probability", low: low, high: high)
        case let .weight(low, high): band = Band(kind: "weight", low: low, high: high)
        }

        let pairs = try counts(db)
        let bins = try pendingBins(db)

        var comparisons: [ComparisonSummary] = []
        if let current = try ModelStore.currentModel(db) {
            for (k, comparison) in current.model.comparisons.enumerated() {
                comparisons.append(ComparisonSummary(
                    name: comparison.name, description: comparison.description,
                    levels: comparison.levels.enumerated().map { i, level in
                        let p = current.model.parameters[k][i]
                        return Level(gamma: level.gamma, label: level.label, isNull: level.isNull, m: p.m, u: p.u, weight: p.weight)
                    }))
            }
        }

        let versions = try versions(db)

        var decisions = Decisions()
        var byReviewer: [String: ReviewerDecisions] = [:]
        for row in try db.queueRows("""
            SELECT reviewer, verdict, count(*) AS n FROM decision WHERE verdict IS NOT NULL GROUP BY reviewer, verdict
            """) {
            let reviewer = row.text("reviewer"), n = row.int("n")
            var entry = byReviewer[reviewer] ?? ReviewerDecisions(reviewer: reviewer)
            switch Verdict(rawValue: row.text("verdict")) {
            case .match: entry.match += n; decisions.match += n
            case .nonMatch: entry.nonMatch += n; decisions.nonMatch += n
            case .unsure: entry.unsure += n; decisions.unsure += n
            case nil: break
            }
            entry.total += n
            decisions.total += n
            byReviewer[reviewer] = entry
        }
        decisions.byReviewer = byReviewer.values.sorted { $0.reviewer < $1.reviewer }

        return QueueStatus(
            queue: path,
            linkType: settings.linkType ?? "unknown",
            reviewBand: band,
            pairs: pairs,
            pendingByProbability: bins,
            records: try db.queueRow("SELECT count(*) AS n FROM record")?.int("n") ?? 0,
            patterns: try db.queueRow("SELECT count(*) AS n FROM pattern")?.int("n") ?? 0,
            comparisons: comparisons,
            modelVersions: versions,
            decisions: decisions)
    }
}
