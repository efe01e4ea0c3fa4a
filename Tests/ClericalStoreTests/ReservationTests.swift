import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

final class ReservationTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func importQueue() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model,
                                   band: .probability(low: 0.001, high: 0.999999))
    }

    /// Claims and decides everything `reviewer` is offered, up to `limit`; returns the pairs.
    func drain(_ reviewer: String, limit: Int = 10_000) throws -> [ReviewPair] {
        let queue = try ReviewQueue(path: path, reviewer: reviewer)
        defer { queue.close() }
        var seen: [ReviewPair] = []
        while seen.count < limit, let pair = try queue.claimNext() {
            try queue.decide(pair.id, .match, note: nil, shown: pair.score)
            seen.append(pair)
        }
        return seen
    }

    func testABandIsKeptForItsReviewerWhoMeetsItFirst() throws {
        try importQueue()
        try Reservations.add(queue: path, reviewer: "ana", band: .probability(low: 0.5, high: 1), share: nil, by: "sam")
        let bo = try drain("bo")
        XCTAssertFalse(bo.isEmpty)
        XCTAssertTrue(bo.allSatisfy { $0.score.matchProbability < 0.5 }, "bo never meets ana's band")
        let ana = try drain("ana", limit: 5)
        XCTAssertEqual(ana.count, 5)
        XCTAssertTrue(ana.allSatisfy { $0.score.matchProbability >= 0.5 }, "ana meets her band")

        try Reservations.remove(queue: path, reviewer: "ana", by: "sam")
        XCTAssertTrue(try drain("bo", limit: 5).contains { $0.score.matchProbability >= 0.5 }, "open to all again")
    }

    func testAShareIsKeptForItsReviewer() throws {
        try importQueue()
        try Reservations.add(queue: path, reviewer: "ana", band: nil, share: 0.5, by: "sam")
        XCTAssertEqual(try Reservations.list(queue: path), [Reservation(reviewer: "ana", part: .share(from: 0, to: 500))])
        let bo = try drain("bo")
        XCTAssertFalse(bo.isEmpty)
        XCTAssertTrue(bo.allSatisfy { $0.id % 1000 >= 500 }, "bo never meets ana's share")
        let ana = try drain("ana")
        XCTAssertTrue(ana.prefix(5).allSatisfy { $0.id % 1000 < 500 }, "ana meets her share first")
        let db = try QueueFile.open(path: path)
        XCTAssertEqual(try count(db, "SELECT count FROM band_count WHERE in_band = 1"), 0, "between them the queue is done")
        XCTAssertThrowsError(try Reservations.add(queue: path, reviewer: "cy", band: nil, share: 0.6, by: "sam"), "only half is left")
    }
}
