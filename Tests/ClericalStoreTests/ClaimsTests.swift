import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

/// Every way of letting go of a claim goes through `Claims`, so they agree: `reviewers remove`
/// releases review, second-review and adjudication claims alike.
final class ClaimsTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testRemovingAReviewerReleasesEveryKindOfClaim() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model)
        try Reviewers.add(queue: path, name: "sam", role: .supervisor, by: "sam")
        for (name, role) in [("ana", ReviewerRole.reviewer), ("bo", .reviewer), ("quinn", .qualityLead)] {
            try Reviewers.add(queue: path, name: name, role: role, by: "sam")
        }
        // ana decides ten pairs; two are sampled for second review. bo gives a different verdict
        // on the first (a dispute) and holds the second. quinn holds the dispute; to have ana hold
        // one of each kind, the dispute and the second review are reassigned to her.
        let ana = try ReviewQueue(path: path, reviewer: "ana")
        for _ in 0..<10 {
            let pair = try XCTUnwrap(try ana.claimNext())
            try ana.decide(pair.id, .match, note: nil, shown: pair.score)
        }
        var request = SampleRequest(size: .count(2))
        request.seed = 3
        _ = try QualityReview.sample(queue: path, request)
        let bo = try ReviewQueue(path: path, reviewer: "bo")
        let first = try XCTUnwrap(try bo.claimNext())
        XCTAssertEqual(first.kind, .secondReview)
        try bo.decide(first.id, .nonMatch, note: nil, shown: nil)
        let second = try XCTUnwrap(try bo.claimNext())
        XCTAssertEqual(second.kind, .secondReview)
        let quinn = try ReviewQueue(path: path, reviewer: "quinn", mode: .adjudicate)
        let dispute = try XCTUnwrap(try quinn.claimNext())
        XCTAssertEqual(dispute.id, first.id)
        try ClaimAdministration.reassign(queue: path, pairID: second.id, to: "ana", by: "sam")
        try ClaimAdministration.reassign(queue: path, pairID: dispute.id, to: "ana", by: "sam")
        let review = try XCTUnwrap(try ana.claimNext())
        XCTAssertEqual(review.kind, .review)
        for queue in [ana, bo, quinn] { queue.close() }

        let database = try DatabaseQueue(path: path)
        XCTAssertEqual(try database.read { try String.fetchAll($0, sql: "SELECT kind FROM claim WHERE reviewer = 'ana' ORDER BY kind") },
                       ["adjudication", "review", "second-review"], "a review, a second-review and an adjudication claim")
        try database.close()

        try Reviewers.remove(queue: path, name: "ana", by: "sam")
        let after = try DatabaseQueue(path: path)
        defer { try? after.close() }
        XCTAssertEqual(try count(after, "SELECT count(*) FROM claim WHERE reviewer = 'ana'"), 0)
        XCTAssertEqual(try count(after, "SELECT count(*) FROM pair WHERE id = ? AND state = 'pending'", [review.id]), 1)
        XCTAssertEqual(try count(after, "SELECT count(*) FROM second_review WHERE pair_id = ? AND state = 'pending'", [second.id]), 1)
        XCTAssertEqual(try count(after, "SELECT count(*) FROM pair WHERE id = ? AND state = 'disputed'", [dispute.id]), 1)
        XCTAssertEqual(try QueueVerification.run(queue: path).problems, [])
    }
}
