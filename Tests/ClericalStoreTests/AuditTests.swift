import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

/// Audits of the model's own decisions: the draw's design, and audit pairs in the normal flow.
final class AuditTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("audit.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder()
        // A wide band, so that both the band and the model's side have plenty of pairs.
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model,
                                   band: .probability(low: 0.01, high: 0.999))
    }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testInclusionProbabilitiesSumToTheSampleSizeOverTheEligiblePairs() throws {
        let db = try QueueFile.open(path: path)
        let eligible = try count(db, decidedByModelSQL)
        var drawnBefore = 0
        // Neyman's split first: a later one would be a top-up, planned with the samples before it.
        for (design, allocation, n) in [(AuditStratification.band, AuditAllocation.neyman, 150), (.band, .proportional, 200),
                                        (.none, .proportional, 137)] {
            var request = AuditRequest(size: .count(n))
            request.stratify = design
            request.allocation = allocation
            request.seed = 11
            let summary = try QualityAudit.draw(queue: path, request, by: "quinn")
            XCTAssertEqual(summary.drawn, n)
            XCTAssertEqual(summary.eligible, eligible - drawnBefore, "the frame is the model-decided pairs not drawn before")
            try db.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT stratum, inclusion_probability FROM audit_pair WHERE audit_id = ?", arguments: [summary.auditID])
                XCTAssertEqual(rows.count, n)
                // Σ 1/π over the sample is the size of the strata it represents (a stratum too
                // small for its proportional share draws none, and the summary says so) …
                let frame = rows.reduce(0.0) { $0 + 1 / ($1["inclusion_probability"] as Double) }
                let represented = summary.strata.values.filter { $0.sample > 0 }.reduce(0) { $0 + $1.frame }
                XCTAssertEqual(frame, Double(represented), accuracy: 1e-6)
                XCTAssertEqual(summary.strata.values.reduce(0) { $0 + $1.sample }, n)
                // … and Σ π over the frame is the sample size: per stratum, π = n_h / N_h.
                for stratum in try Row.fetchAll(db, sql: "SELECT stratum, frame_size, sample_size FROM audit_stratum WHERE audit_id = ?",
                                                arguments: [summary.auditID]) {
                    let members = rows.filter { ($0["stratum"] as String) == (stratum["stratum"] as String) }
                    XCTAssertEqual(members.count, stratum["sample_size"] as Int)
                    for member in members {
                        XCTAssertEqual(member["inclusion_probability"] as Double,
                                       Double(stratum["sample_size"] as Int) / Double(stratum["frame_size"] as Int), accuracy: 1e-12)
                    }
                }
                let sizes = try Row.fetchAll(db, sql: "SELECT frame_size, sample_size FROM audit_stratum WHERE audit_id = ?", arguments: [summary.auditID])
                XCTAssertEqual(sizes.reduce(0) { $0 + ($1["frame_size"] as Int) }, summary.eligible)
                // Every drawn pair was decided by the model: pending, its pattern outside the band.
                XCTAssertEqual(try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM audit_pair a JOIN pair p ON p.id = a.pair_id JOIN pattern t ON t.id = p.pattern_id
                    WHERE a.audit_id = ? AND (p.state <> 'pending' OR t.in_band = 1)
                    """, arguments: [summary.auditID]), 0)
            }
            if allocation == .neyman {
                // Per pair, the strata nearest the band are drawn more often than the largest stratum
                // (the one the model is surest of).
                let largest = summary.strata.max { $0.value.frame < $1.value.frame }!
                let rate = { (s: (frame: Int, sample: Int)) in Double(s.sample) / Double(s.frame) }
                XCTAssertTrue(summary.strata.values.contains { rate($0) > 2 * rate(largest.value) }, "\(summary.strata)")
            }
            if design == .band {
                // At least two from every stratum (all of one smaller than that), then in proportion.
                XCTAssertTrue(summary.strata.values.allSatisfy { $0.sample >= min(2, $0.frame) }, "\(summary.strata)")
                // Proportional allocation, exact counts: both sides of the band are represented.
                XCTAssertTrue(summary.strata.keys.contains { $0.hasPrefix("match") })
                XCTAssertTrue(summary.strata.keys.contains { $0.hasPrefix("non-match") })
            }
            drawnBefore += n
        }
    }

    func testACountLargerThanTheEligiblePairsDrawsNothing() throws {
        let db = try QueueFile.open(path: path)
        let eligible = try count(db, decidedByModelSQL)
        XCTAssertThrowsError(try QualityAudit.draw(queue: path, AuditRequest(size: .count(eligible + 1)), by: "quinn")) { error in
            XCTAssertEqual((error as? ClericalError)?.status, .dataError)
        }
        XCTAssertEqual(try count(db, "SELECT count(*) FROM audit"), 0)
        XCTAssertEqual(try count(db, "SELECT count(*) FROM audit_pair"), 0)
    }

    /// Audit pairs come in the normal flow at the audit's share, blind, and a verdict on one is
    /// an ordinary review decision; a skipped one is offered again.
    func testAuditPairsAreOfferedAtTheirShareBlindAndUnmarked() throws {
        // A band wide enough that the band has pairs, and the model decides the rest.
        var request = AuditRequest(size: .count(30))
        request.share = 0.25
        let summary = try QualityAudit.draw(queue: path, request, by: "quinn")
        let db = try QueueFile.open(path: path)
        let audited = Set(try db.read { try Int64.fetchAll($0, sql: "SELECT pair_id FROM audit_pair WHERE audit_id = ?", arguments: [summary.auditID]) })

        let queue = try ReviewQueue(path: path, reviewer: "ana")
        defer { queue.close() }
        var fromAudit = 0
        var skippedOnce = false
        for n in 0..<40 {
            let pair = try XCTUnwrap(queue.claimNext())
            XCTAssertEqual(pair.isAudit, audited.contains(pair.id))
            XCTAssertEqual(pair.kind, .review, "an audit pair is an ordinary review")
            if pair.isAudit && !skippedOnce {
                skippedOnce = true
                try queue.release(pair.id)
                let again = try XCTUnwrap(queue.claimNext())
                XCTAssertEqual(again.id, pair.id, "a skipped audit pair is offered again")
                XCTAssertTrue(again.isAudit)
            }
            if pair.isAudit { fromAudit += 1 }
            try queue.decide(pair.id, .match, note: nil, shown: nil)
            _ = n
        }
        XCTAssertEqual(fromAudit, 10, "a quarter of the 40 pairs offered")
        XCTAssertEqual(try count(db, "SELECT count(*) FROM decision WHERE kind = 'review'"), 40)
    }

    /// A second audit draws from what the first left of the same pairs, so the estimate takes
    /// both as one sample of them: each cell's frame is the first audit's stratum, its sample
    /// both audits' verdicts there, and the interval narrows. (Read apart, the second audit's
    /// verdicts stood for nothing, and following the "how many more" advice narrowed nothing.)
    func testATopUpAuditJoinsTheEarlierOneInTheEstimate() throws {
        let db = try QueueFile.open(path: path)
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        defer { queue.close() }
        /// Every pair of the latest audit decided as the model decides it: no error seen.
        func reviewLatestAudit() throws {
            let waiting = try count(db, "SELECT count(*) FROM audit_pair WHERE audit_id = (SELECT max(id) FROM audit)")
            for _ in 0..<waiting {
                let pair = try XCTUnwrap(queue.claimNext())
                XCTAssertTrue(pair.isAudit, "at share 1 the audit's pairs come first")
                let probability = try db.read { try Double.fetchOne($0, sql: """
                    SELECT t.match_probability FROM pair p JOIN pattern t ON t.id = p.pattern_id WHERE p.id = ?
                    """, arguments: [pair.id]) }
                try queue.decide(pair.id, (probability ?? 0) >= 0.5 ? .match : .nonMatch, note: nil, shown: nil)
            }
        }
        var request = AuditRequest(size: .count(40))
        request.share = 1
        let first = try QualityAudit.draw(queue: path, request, by: "quinn")
        try reviewLatestAudit()
        let once = try LinkageQualityReport.estimate(queue: path)

        request.seed = 2
        let second = try QualityAudit.draw(queue: path, request, by: "quinn")
        try reviewLatestAudit()
        let input = try db.read { try LinkageQualityReport.input($0) }
        let twice = LinkageQuality.estimate(input)

        XCTAssertEqual(twice.auditVerdicts, 80)
        // No re-estimation between them: each stratum of the second is its namesake of the first,
        // less the pairs the first drew. The two make one cell of their patterns, and the patterns
        // the first drew whole (so the second could not) a cell of their own: together the first
        // one's stratum, with both audits' verdicts there.
        for (name, stratum) in second.strata {
            let earlier = try XCTUnwrap(first.strata[name])
            XCTAssertEqual(stratum.frame, earlier.frame - earlier.sample, name)
            let both = "\(first.auditID)/\(name) + \(second.auditID)/\(name)", firstOnly = "\(first.auditID)/\(name)"
            XCTAssertNotNil(input.frameSizes[both], both)
            XCTAssertEqual((input.frameSizes[both] ?? 0) + (input.frameSizes[firstOnly] ?? 0), earlier.frame, name)
            XCTAssertEqual(input.auditVerdicts.filter { $0.stratum == both || $0.stratum == firstOnly }.count,
                           earlier.sample + stratum.sample, name)
            // A cell of the first alone holds only patterns it drew whole: it stands for no pair.
            if let whole = input.frameSizes[firstOnly] {
                XCTAssertEqual(input.auditVerdicts.filter { $0.stratum == firstOnly }.count, whole, name)
            }
        }
        XCTAssertEqual(input.frameSizes.values.reduce(0, +), first.eligible, "every cell is part of the first audit's frame")
        XCTAssertEqual(twice.intervalBasis, .design)
        XCTAssertLessThan(twice.f1.estimate - twice.f1.low, (once.f1.estimate - once.f1.low) * 0.75,
                          "twice the audit verdicts, none an error: the bound about halves")
    }
}
