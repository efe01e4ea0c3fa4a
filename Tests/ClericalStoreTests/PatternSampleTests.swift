import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

/// Every pair of a pattern looks the same to the model, so the pairs people review from a
/// pattern must be a fair sample of it: its verdicts then estimate its match rate, and
/// re-estimation's shrinkage toward them is sound. A file's row order often follows the truth
/// (duplicates written beside their originals), so a pattern's pairs are served in the order
/// of a hash of the id, not in id order. So are an audit's pairs: re-estimation uses the
/// verdicts on the part of an audit offered so far, which must be a fair part of it.
final class PatternSampleTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// The hash, computed here on its own: Fibonacci hashing of the id, modulo 2^32.
    static func draw(_ id: Int64) -> UInt64 { (UInt64(id) &* 2_654_435_761) % 4_294_967_296 }

    func testAPatternsPairsAreServedInHashOrderSpreadOverThePattern() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model,
                                   band: .probability(low: 0, high: 1))
        // Only the largest pattern stays queued, so every claim is one of its pairs.
        let database = try DatabaseQueue(path: path)
        let (pattern, ids) = try database.write { db -> (Int64, [Int64]) in
            let pattern = try Int64.fetchOne(db, sql: "SELECT pattern_id FROM pair GROUP BY pattern_id ORDER BY count(*) DESC LIMIT 1")!
            try db.execute(sql: "UPDATE pattern SET in_band = 0 WHERE id <> ?", arguments: [pattern])
            return (pattern, try Int64.fetchAll(db, sql: "SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' ORDER BY id", arguments: [pattern]))
        }
        try database.close()
        XCTAssertGreaterThanOrEqual(ids.count, 40, "a pattern large enough to sample from")

        let reviewer = try ReviewQueue(path: path, reviewer: "ana")
        defer { reviewer.close() }
        var served: [Int64] = []
        for _ in 0..<20 {
            let pair = try XCTUnwrap(try reviewer.claimNext())
            served.append(pair.id)
            try reviewer.decide(pair.id, .nonMatch, note: nil, shown: pair.score)
        }
        XCTAssertEqual(served, Array(ids.sorted { Self.draw($0) < Self.draw($1) }.prefix(20)),
                       "pattern \(pattern)'s pairs come in the order of the hash of their ids")
        XCTAssertNotEqual(served, Array(ids.prefix(20)), "not in id order")
        // Spread over the pattern, not bunched at one end of the file.
        let lowerHalf = Set(ids.prefix(ids.count / 2))
        let fromLowerHalf = served.filter(lowerHalf.contains).count
        XCTAssert((5...15).contains(fromLowerHalf), "\(fromLowerHalf) of 20 served pairs from the first half of the pattern's rows")
    }

    func testAnAuditsPairsAreOfferedInHashOrder() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model,
                                   band: .probability(low: 0.01, high: 0.999))
        var request = AuditRequest(size: .count(30))
        request.share = 1
        let summary = try QualityAudit.draw(queue: path, request, by: "quinn")
        let database = try DatabaseQueue(path: path)
        let drawn = try database.read { db in
            try Int64.fetchAll(db, sql: "SELECT pair_id FROM audit_pair WHERE audit_id = ?", arguments: [summary.auditID])
        }
        try database.close()
        let reviewer = try ReviewQueue(path: path, reviewer: "ana")
        defer { reviewer.close() }
        var offered: [Int64] = []
        for _ in 0..<drawn.count {
            let pair = try XCTUnwrap(try reviewer.claimNext())
            XCTAssertTrue(pair.isAudit, "with share 1 the audit comes first")
            offered.append(pair.id)
            try reviewer.decide(pair.id, .match, note: nil, shown: nil)
        }
        XCTAssertEqual(offered, drawn.sorted { Self.draw($0) < Self.draw($1) })
        XCTAssertNotEqual(offered, drawn.sorted(), "not in id order")
    }

    func testClaimsReadTheHashOrderFromAnIndex() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model)
        let database = try DatabaseQueue(path: path)
        defer { try? database.close() }
        let plan = try database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' ORDER BY \(Claims.Order.drawOrder) LIMIT 1",
                             arguments: [1]).map { $0["detail"] as String }.joined(separator: "; ")
        }
        XCTAssert(plan.contains("open_pair_by_draw"), plan)
        XCTAssertFalse(plan.contains("TEMP B-TREE"), "no sort of the pattern's pairs on each claim: \(plan)")
        let auditPlan = try database.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT a.pair_id FROM audit_pair a JOIN pair p ON p.id = a.pair_id
                WHERE a.audit_id = ? AND a.offered = 0 AND p.state = 'pending' ORDER BY a.\(Claims.Order.drawOrder(of: "pair_id")) LIMIT 1
                """, arguments: [1]).map { $0["detail"] as String }.joined(separator: "; ")
        }
        XCTAssert(auditPlan.contains("audit_pair_waiting_by_draw"), auditPlan)
        XCTAssertFalse(auditPlan.contains("TEMP B-TREE"), "no sort of the audit's pairs on each offer: \(auditPlan)")
    }
}
