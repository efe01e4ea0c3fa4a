import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

final class VerificationTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// A queue with five decisions, one of them an undo.
    func decidedQueue() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model)
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        defer { queue.close() }
        for verdict in [Verdict.match, .nonMatch, .unsure, .match] {
            let pair = try XCTUnwrap(queue.claimNext())
            try queue.decide(pair.id, verdict, note: "note, \(verdict)", shown: pair.score)
        }
        _ = try queue.undoLast()
    }

    /// Edits the file as someone with sqlite3 would, behind the tool's back.
    func tamper(_ sql: String) throws {
        let db = try DatabaseQueue(path: path)
        try db.writeWithoutTransaction { try $0.execute(sql: sql) }
        try db.close()
    }

    func testASoundQueueVerifies() throws {
        try decidedQueue()
        let report = try QueueVerification.run(queue: path)
        XCTAssertTrue(report.isSound, "\(report.problems)")
        XCTAssertEqual(report.decisions, 5)
    }

    func testDecisionsCannotBeChangedOrDeletedThroughSQLite() throws {
        try decidedQueue()
        XCTAssertThrowsError(try tamper("UPDATE decision SET verdict = 'match' WHERE id = 2"))
        XCTAssertThrowsError(try tamper("DELETE FROM decision WHERE id = 2"))
        XCTAssertTrue(try QueueVerification.run(queue: path).isSound)
    }

    func testAVerdictChangedAfterDroppingTheTriggerIsFound() throws {
        try decidedQueue()
        try tamper("DROP TRIGGER decision_is_append_only_update; UPDATE decision SET verdict = 'match' WHERE id = 2")
        let report = try QueueVerification.run(queue: path)
        XCTAssertFalse(report.isSound)
        XCTAssertEqual(report.problems.first, "decision 2: its content does not match its hash (the row was changed after it was written)")
        XCTAssertTrue(report.problems.contains { $0.contains("decision_is_append_only_update is missing") })
    }

    func testADeletedRowIsFoundEvenWithTheTriggerRestored() throws {
        try decidedQueue()
        try tamper("""
            DROP TRIGGER decision_is_append_only_delete;
            DELETE FROM decision WHERE id = 3;
            CREATE TRIGGER decision_is_append_only_delete BEFORE DELETE ON decision
            BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
            """)
        let report = try QueueVerification.run(queue: path)
        XCTAssertEqual(report.problems, ["decision 4: previous_hash does not match decision before it (a row was removed, inserted or reordered)"])
    }

    func testARowWithARecomputedHashStillBreaksTheChainAfterIt() throws {
        try decidedQueue()
        // Changing a note and forging its hash by hand would need the next row's
        // previous_hash changed too; changing only the hash breaks the link to row 2.
        try tamper("DROP TRIGGER decision_is_append_only_update; UPDATE decision SET hash = 'forged' WHERE id = 1")
        let report = try QueueVerification.run(queue: path)
        XCTAssertEqual(report.problems.first, "decision 1: its content does not match its hash (the row was changed after it was written)")
    }
}
