import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

/// The review priority is defined once, in `ReviewPriority` (ClericalCore); the trigger that
/// keeps `pattern.review_priority` as claims serve a pattern computes it in SQL. This holds
/// the two to the same numbers, through the doublings and past the cap of 20.
final class ReviewPriorityTriggerTests: XCTestCase {
    func testTheTriggerComputesWhatReviewPrioritySays() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("queue.db").path
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model,
                                   band: .probability(low: 0, high: 1))
        let database = try DatabaseQueue(path: path)
        defer { try? database.close() }
        // The pattern with the most pairs, so it can be served many times.
        let (pattern, pairs) = try database.read { db -> (Int64, [Int64]) in
            let pattern = try Int64.fetchOne(db, sql: "SELECT pattern_id FROM pair GROUP BY pattern_id ORDER BY count(*) DESC LIMIT 1")!
            return (pattern, try Int64.fetchAll(db, sql: "SELECT id FROM pair WHERE pattern_id = ? AND state = 'pending' ORDER BY id", arguments: [pattern]))
        }
        XCTAssertGreaterThanOrEqual(pairs.count, 34, "enough pairs to pass 32 served")
        func check(_ db: Database) throws {
            let row = try Row.fetchOne(db, sql: "SELECT served, match_probability, review_priority FROM pattern WHERE id = ?", arguments: [pattern])!
            let expected = ReviewPriority.of(probability: row["match_probability"], rankInPattern: row["served"])
            XCTAssertEqual(row["review_priority"] as Double, expected, accuracy: 1e-12, "served \(row["served"] as Int)")
        }
        try database.write { db in
            for pair in pairs.prefix(34) {
                try db.execute(sql: "UPDATE pair SET state = 'claimed' WHERE id = ?", arguments: [pair])
                try check(db)
            }
            // Past 2^20 served the spread stops growing.
            for served in [(1 << 20) - 2, (1 << 21) - 1] {
                try db.execute(sql: "UPDATE pattern SET served = ? WHERE id = ?", arguments: [served, pattern])
                try db.execute(sql: "UPDATE pair SET state = 'pending' WHERE id = ?", arguments: [pairs[0]])
                try db.execute(sql: "UPDATE pair SET state = 'claimed' WHERE id = ?", arguments: [pairs[0]])
                try check(db)
            }
        }
    }
}
