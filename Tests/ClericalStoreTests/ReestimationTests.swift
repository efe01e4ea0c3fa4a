import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

final class ReestimationTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// Imports the fixture, then gives `verdicts` verdicts in queue order from its truth file.
    @discardableResult
    func queueWithVerdicts(_ fixture: Fixture = .splink5Dedupe, band: ReviewBand? = nil, verdicts: Int) throws -> [Int64: Verdict] {
        _ = try SplinkImporter.run(queue: path, predictions: fixture.predictions, model: fixture.model, band: band)
        let truth = try String(contentsOfFile: fixture.truth, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").map(String.init) }
        let isMatch = Dictionary(truth.map { ("\($0[0]) \($0[1])", $0[2] == "1") }, uniquingKeysWith: { a, _ in a })
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        defer { queue.close() }
        var given: [Int64: Verdict] = [:]
        for _ in 0..<verdicts {
            guard let pair = try queue.claimNext() else { break }
            let verdict: Verdict = isMatch["\(pair.left.uniqueID) \(pair.right.uniqueID)"]! ? .match : .nonMatch
            try queue.decide(pair.id, verdict, note: nil, shown: pair.score)
            given[pair.id] = verdict
        }
        return given
    }

    /// The classic independent model (over every comparison vector): log2(λ/(1-λ)) + Σ log2(m/u)
    /// from the stored parameters gives every pattern's score.
    func testReestimationStoresAVersionAndEveryPatternScoresByTheWeightFormula() throws {
        let given = try queueWithVerdicts(verdicts: 20)
        var request = ReestimationRequest()
        request.model = .independent
        let report = try XCTUnwrap(Reestimation.run(queue: path, request: request))
        XCTAssertEqual(report.model, .independent)

        let db = try QueueFile.open(path: path)
        XCTAssertEqual(report.modelVersion, 2)
        XCTAssertEqual(report.labels.matches + report.labels.nonMatches, given.count)
        XCTAssertEqual(report.pairs, try count(db, "SELECT count(*) FROM pair"))
        XCTAssertEqual(report.patterns, try count(db, "SELECT count(*) FROM pattern"))
        try db.read { db in
            let version = try XCTUnwrap(Row.fetchOne(db, sql: "SELECT * FROM model_version ORDER BY id DESC LIMIT 1"))
            XCTAssertEqual(version["origin"], "reestimated")
            XCTAssertEqual(version["label_count"], given.count)
            XCTAssertEqual(version["iterations"], report.iterations)
            XCTAssertNotNil(version["report"] as String?)
            // The weight formula, straight from the stored parameters: log2(λ/(1-λ)) + Σ log2(m/u).
            let lambda: Double = version["lambda"]
            var weightByLevel: [String: Double] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT c.position, l.gamma, p.m, p.u, l.is_null FROM level_parameter p
                JOIN comparison_level l ON l.id = p.comparison_level_id JOIN comparison c ON c.id = l.comparison_id
                WHERE p.model_version_id = ?
                """, arguments: [report.modelVersion]) {
                let isNull: Bool = row["is_null"]
                weightByLevel["\(row["position"] as Int) \(row["gamma"] as Int)"] = isNull ? 0 : log2((row["m"] as Double) / (row["u"] as Double))
            }
            for pattern in try Row.fetchAll(db, sql: "SELECT gammas, match_weight, match_probability FROM pattern") {
                let gammas = (pattern["gammas"] as String).split(separator: ",").map { Int($0)! }
                var weight = log2(lambda / (1 - lambda))
                for (k, gamma) in gammas.enumerated() { weight += weightByLevel["\(k) \(gamma)"]! }
                XCTAssertEqual(pattern["match_weight"] as Double, weight, accuracy: 1e-9)
                XCTAssertEqual(pattern["match_probability"] as Double, 1 / (1 + pow(2, -weight)), accuracy: 1e-12)
                XCTAssertTrue(weight.isFinite)
            }
        }
    }

    /// Fitted over the candidate set, every pattern scores as the prior plus the stored level
    /// weights, null levels contributing nothing; m and u are shares of one.
    func testTheCandidateSetModelScoresByItsStoredWeights() throws {
        try queueWithVerdicts(verdicts: 20)
        var request = ReestimationRequest()
        request.model = .independent
        request.options.conditionalOnCandidates = true
        let report = try XCTUnwrap(Reestimation.run(queue: path, request: request))
        let db = try QueueFile.open(path: path)
        try db.read { db in
            let lambda = try XCTUnwrap(Double.fetchOne(db, sql: "SELECT lambda FROM model_version WHERE id = ?", arguments: [report.modelVersion]))
            var weightByLevel: [String: Double] = [:]
            var shares: [Int: (m: Double, u: Double)] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT c.position, l.gamma, p.m, p.u, p.weight, l.is_null FROM level_parameter p
                JOIN comparison_level l ON l.id = p.comparison_level_id JOIN comparison c ON c.id = l.comparison_id
                WHERE p.model_version_id = ?
                """, arguments: [report.modelVersion]) {
                let isNull: Bool = row["is_null"]
                let position: Int = row["position"]
                weightByLevel["\(position) \(row["gamma"] as Int)"] = isNull ? 0 : row["weight"]
                if isNull { XCTAssertEqual(row["weight"] as Double, 0, "a null level contributes nothing") }
                if !isNull { shares[position, default: (0, 0)].m += row["m"]; shares[position, default: (0, 0)].u += row["u"] }
            }
            for (position, total) in shares {
                XCTAssertEqual(total.m, 1, accuracy: 1e-9, "m of comparison \(position)")
                XCTAssertEqual(total.u, 1, accuracy: 1e-9, "u of comparison \(position)")
            }
            for pattern in try Row.fetchAll(db, sql: "SELECT gammas, match_weight FROM pattern") {
                let gammas = (pattern["gammas"] as String).split(separator: ",").map { Int($0)! }
                var weight = log2(lambda / (1 - lambda))
                for (k, gamma) in gammas.enumerated() { weight += weightByLevel["\(k) \(gamma)"]! }
                XCTAssertEqual(pattern["match_weight"] as Double, weight, accuracy: 1e-9)
            }
        }
    }

    func testQueueOrderIsNearestHalfFirstSpreadAcrossPatterns() throws {
        try queueWithVerdicts(band: .probability(low: 0.001, high: 0.999999), verdicts: 10)
        _ = try XCTUnwrap(Reestimation.run(queue: path, request: ReestimationRequest()))
        let db = try QueueFile.open(path: path)
        func queuedPatterns() throws -> [(id: Int64, probability: Double, served: Int, priority: Double)] {
            try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, match_probability, served, review_priority FROM pattern WHERE in_band = 1 AND open_count > 0
                    """).map { ($0["id"], $0["match_probability"], $0["served"], $0["review_priority"]) }
            }
        }
        // Every queued pattern's priority: distance from 0.5, plus the spread for the pairs
        // it has already had reviewed, or sooner for what more verdicts could gain on it.
        var sooner = 0
        try db.read { db in
            for row in try Row.fetchAll(db, sql: """
                SELECT t.match_probability, t.served, t.open_count, t.review_priority,
                       coalesce(v.matches, 0) + coalesce(v.non_matches, 0) AS verdicts
                FROM pattern t LEFT JOIN pattern_verdicts v ON v.pattern_id = t.id WHERE t.in_band = 1 AND t.open_count > 0
                """) {
                let plain = ReviewPriority.of(probability: row["match_probability"], rankInPattern: row["served"])
                let expected = ReviewPriority.of(probability: row["match_probability"], verdicts: row["verdicts"],
                                                 openPairs: row["open_count"], rankInPattern: row["served"])
                XCTAssertEqual(row["review_priority"] as Double, expected, accuracy: 1e-12)
                XCTAssertLessThanOrEqual(expected, plain)
                if expected < plain { sooner += 1 }
            }
        }
        XCTAssertGreaterThan(sooner, 0, "patterns of many open pairs come sooner than their probability alone puts them")
        XCTAssertGreaterThan(try count(db, pendingForReviewSQL), 100)

        // Claim after claim, the pair comes from the queued pattern with the lowest priority.
        let queue = try ReviewQueue(path: path, reviewer: "bo")
        defer { queue.close() }
        var claimedPatterns: [Int64] = []
        for _ in 0..<40 {
            let before = try queuedPatterns()
            let best = try XCTUnwrap(before.min { $0.priority < $1.priority })
            let pair = try XCTUnwrap(queue.claimNext())
            let patternID = try db.read { try Int64.fetchOne($0, sql: "SELECT pattern_id FROM pair WHERE id = ?", arguments: [pair.id]) }
            let chosen = try XCTUnwrap(patternID)
            // Its pattern had the lowest priority just before the claim.
            XCTAssertEqual(try XCTUnwrap(before.first { $0.id == chosen }).priority, best.priority, accuracy: 1e-12)
            XCTAssertEqual(abs(pair.score.matchProbability - 0.5), abs(best.probability - 0.5), accuracy: 1e-9,
                           "the pair is from a pattern with the best priority")
            claimedPatterns.append(chosen)
            try queue.decide(pair.id, .match, note: nil, shown: pair.score)
        }
        // Spread: a pattern with many pending pairs does not fill the head of the queue.
        let largest = Dictionary(grouping: claimedPatterns.prefix(20), by: { $0 }).values.map(\.count).max()!
        XCTAssertLessThan(largest, 10)
    }

    func testPairsMoveAcrossTheBandAndOnlyLeaveItWhenAsked() throws {
        try queueWithVerdicts(verdicts: 10)
        let db = try QueueFile.open(path: path)
        // Patterns the refitted model decides the other way from the imported model are queued
        // whatever their score (`PatternBand.rescore`); the band rule is about the others.
        func contested() throws -> [Int64] {
            try db.read { try overturnedPatterns($0).map { $0.row["id"] } }
        }
        func outsideBand(_ contested: [Int64]) -> String {
            "SELECT coalesce(sum(open_count), 0) FROM pattern WHERE in_band = 1 AND match_probability NOT BETWEEN 0.05 AND 0.95"
                + (contested.isEmpty ? "" : " AND id NOT IN (\(contested.map(String.init).joined(separator: ",")))")
        }
        var independent = ReestimationRequest()
        independent.model = .independent
        let first = try XCTUnwrap(Reestimation.run(queue: path, request: independent))
        XCTAssertGreaterThan(first.band.movedIntoReview, 0)
        XCTAssertEqual(try count(db, "SELECT count(*) FROM pattern WHERE in_band = 0 AND match_probability BETWEEN 0.05 AND 0.95"), 0,
                       "every pattern now in the band is queued")
        XCTAssertEqual(first.band.leftReview, try count(db, outsideBand(contested())), "pending pairs outside the band stay queued")
        XCTAssertEqual(first.band.decidedByModel, 0)

        var request = independent
        request.decideOutsideBand = true
        let second = try XCTUnwrap(Reestimation.run(queue: path, request: request))
        let overturned = try contested()
        XCTAssertEqual(try count(db, outsideBand(overturned)), 0)
        if !overturned.isEmpty {
            XCTAssertEqual(try count(db, "SELECT count(*) FROM pattern WHERE in_band = 0 AND id IN (\(overturned.map(String.init).joined(separator: ",")))"), 0,
                           "overturned patterns stay queued even when the model decides outside the band")
        }
        XCTAssertEqual(second.band.decidedByModel, second.band.leftReview)
        XCTAssertEqual(try count(db, "SELECT count FROM band_count WHERE in_band = 1"), try count(db, pendingForReviewSQL))
        XCTAssertEqual(try count(db, "SELECT count FROM band_count WHERE in_band = 0"), try count(db, decidedByModelSQL))
    }

    func testFinalVerdictsAreClampedAndAWithdrawalCountsForNothing() throws {
        let given = try queueWithVerdicts(verdicts: 6)
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        _ = try queue.undoLast()  // withdraws the last verdict; the pair is claimed again
        queue.close()
        let report = try XCTUnwrap(Reestimation.run(queue: path, request: ReestimationRequest()))
        XCTAssertEqual(report.labels.matches + report.labels.nonMatches, given.count - 1)
    }

    func testAutomaticReestimationRunsWhenDueAndOnce() throws {
        try queueWithVerdicts(verdicts: 0)
        try Reestimation.setAutomatic(queue: path, every: 3)
        var request = ReestimationRequest()
        request.onlyIfDue = true
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        defer { queue.close() }
        for _ in 0..<2 {
            let pair = try XCTUnwrap(queue.claimNext())
            try queue.decide(pair.id, .match, note: nil, shown: pair.score)
        }
        XCTAssertNil(try Reestimation.run(queue: path, request: request), "2 of 3 verdicts: not due")
        let pair = try XCTUnwrap(queue.claimNext())
        try queue.decide(pair.id, .nonMatch, note: nil, shown: pair.score)
        XCTAssertEqual(try Reestimation.run(queue: path, request: request)?.modelVersion, 2)
        XCTAssertNil(try Reestimation.run(queue: path, request: request), "nothing new since")
        try Reestimation.setAutomatic(queue: path, every: 0)
        for _ in 0..<3 {
            let pair = try XCTUnwrap(queue.claimNext())
            try queue.decide(pair.id, .match, note: nil, shown: pair.score)
        }
        XCTAssertNil(try Reestimation.run(queue: path, request: request), "turned off")
    }

    func testAQueueImportedWithoutItsModelReestimatesToo() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions)
        var request = ReestimationRequest()
        request.model = .independent
        let report = try XCTUnwrap(Reestimation.run(queue: path, request: request))
        XCTAssertTrue(report.levels.allSatisfy { $0.after.m != nil && $0.after.u != nil && $0.after.weight.isFinite })
        XCTAssertTrue(report.lambdaAfter > 0 && report.lambdaAfter < 1)
    }
}
