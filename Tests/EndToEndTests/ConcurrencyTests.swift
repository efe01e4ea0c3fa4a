import Foundation
import GRDB
import XCTest

/// Many reviewer processes on one queue file, through the same ReviewQueue as the review
/// screen (`clerical-load`, one process per reviewer).
final class ConcurrencyTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder()
        XCTAssertEqual(try Binary.importFixture(into: queue, band: "0.001:0.999999").status, 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        return try db.read(body)
    }

    /// Starts `processes` reviewers together and waits for them all.
    func runReviewers(_ processes: Int, extra: [String] = []) throws -> [LoadReport] {
        try runLoadProcesses((1...processes).map { (queue, "reviewer-\($0)") }, folder: folder, extra: extra)
    }

    func checkEveryPairDecidedOnce(_ reports: [LoadReport], pending: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(reports.flatMap(\.errors), [], "no error reaches a reviewer", file: file, line: line)
        let given = reports.reduce(0) { $0 + $1.verdicts }
        XCTAssertEqual(given, pending, "every pending pair got a verdict", file: file, line: line)
        let decided = reports.flatMap(\.decidedPairs)
        XCTAssertEqual(Set(decided).count, decided.count, "no pair decided twice", file: file, line: line)
        let (decisions, twice, left) = try read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM decision WHERE kind = 'review'") ?? -1,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT pair_id FROM decision GROUP BY pair_id, kind HAVING count(*) > 1)") ?? -1,
             try Int.fetchOne(db, sql: """
                SELECT (SELECT count FROM band_count WHERE in_band = 1) + (SELECT count(*) FROM pair WHERE state = 'claimed')
                """) ?? -1)
        }
        XCTAssertEqual(decisions, given, "the decisions stored are the verdicts given", file: file, line: line)
        XCTAssertEqual(twice, 0, "no pair has two decisions of one kind", file: file, line: line)
        XCTAssertEqual(left, 0, "the queue is empty", file: file, line: line)
    }

    func pendingPairs() throws -> Int {
        try read { try Int.fetchOne($0, sql: "SELECT count FROM band_count WHERE in_band = 1") ?? 0 }
    }

    func testSixteenReviewersEmptyTheQueueEachPairDecidedOnce() throws {
        let pending = try pendingPairs()
        XCTAssertGreaterThan(pending, 300)
        let reports = try runReviewers(16)
        try checkEveryPairDecidedOnce(reports, pending: pending)
        XCTAssertGreaterThan(reports.filter { $0.verdicts > 0 }.count, 8, "the work was shared")
        let verify = try Binary.run(["verify", queue])
        XCTAssertEqual(verify.status, 0, verify.stdout)
    }

    /// Leases of 0.3 s, and reviewers who now and then sit on a pair for longer: the pair
    /// goes to someone else, and the late verdict is refused rather than recorded twice.
    func testLeasesExpiringUnderReviewersLoseNothingAndDoubleNothing() throws {
        let pending = try pendingPairs()
        let reports = try runReviewers(16, extra: ["--lease", "0.3", "--linger", "0.03"])
        try checkEveryPairDecidedOnce(reports, pending: pending)
        XCTAssertGreaterThan(reports.reduce(0) { $0 + $1.lostToExpiredLeases }, 0, "some leases ran out under their reviewers")
    }
}
