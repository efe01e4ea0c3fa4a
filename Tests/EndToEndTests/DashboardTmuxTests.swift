import Foundation
import GRDB
import XCTest

/// The supervisor dashboard in a real terminal, with reviewers working in other processes.
final class DashboardTmuxTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder()
        XCTAssertEqual(try Binary.importFixture(into: queue, band: "0.001:0.999999").status, 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testTheDashboardFollowsOtherReviewersWithinASecondAndExpiresAClaim() throws {
        let dashboard = try TmuxSession("\(Binary.clerical.path) dashboard \(queue)", environment: ["CLERICAL_ACCOUNT": "sam"])
        XCTAssertTrue(dashboard.waitFor("clerical dashboard"))
        XCTAssertTrue(dashboard.waitFor("no verdicts yet"))

        // ana decides 20 pairs in another process.
        let load = Process()
        load.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        load.arguments = [queue, "--reviewer", "ana", "--max", "20", "--report", folder.appendingPathComponent("ana.json").path]
        try load.run()
        load.waitUntilExit()
        let decidedAt = Date()
        XCTAssertTrue(dashboard.waitFor("decided 20", timeout: 3))
        XCTAssertLessThan(Date().timeIntervalSince(decidedAt), 2.5, "seen within about a second")
        XCTAssertTrue(dashboard.waitFor(" ana "))

        // bo opens the review screen: his claim shows; the supervisor ends it.
        let review = try TmuxSession("\(Binary.clerical.path) review \(queue)", environment: ["CLERICAL_ACCOUNT": "bo"])
        XCTAssertTrue(review.waitFor("pair 21 of"))
        XCTAssertTrue(dashboard.waitFor("claims (1)"))
        XCTAssertTrue(dashboard.waitFor("review  bo"))
        dashboard.send("x")
        XCTAssertTrue(dashboard.waitFor("ended: the pair is back in the queue"))
        XCTAssertTrue(dashboard.waitFor("claims (0)"))
        dashboard.send("q")
        XCTAssertTrue(dashboard.waitFor("EXIT=0"))
        review.send("q")
        XCTAssertTrue(review.waitFor("EXIT=0"))

        // status --json carries the same figures.
        let status = try Binary.run(["status", queue, "--json"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let team = try XCTUnwrap(json["team"] as? [String: Any])
        let reviewers = try XCTUnwrap(team["reviewers"] as? [[String: Any]])
        XCTAssertEqual(reviewers.first?["reviewer"] as? String, "ana")
        XCTAssertEqual(reviewers.first?["verdicts_last_hour"] as? Int, 20)
        XCTAssertNotNil(team["hours_to_finish"])
        XCTAssertNotNil(team["claims"])
    }
}
