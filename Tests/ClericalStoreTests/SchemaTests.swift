import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

/// Migration v5 restates the CHECK constraints of the tables every verdict writes, so SQLite
/// checks them with comparisons rather than an ephemeral table per row written.
final class SchemaTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// The statements of the keypress path, and the other writes of those tables.
    static let constrainedWrites = [
        "UPDATE pair SET state = 'claimed' WHERE id = 1",
        "INSERT OR REPLACE INTO claim (pair_id, kind, reviewer, lease_expires_at, priority) VALUES (1, 'review', 'ana', 1, 0)",
        "DELETE FROM claim WHERE pair_id = 1",
        "UPDATE pair SET state = 'decided' WHERE id = 1",
        """
        INSERT INTO decision (pair_id, reviewer, kind, verdict, note, decided_at, previous_hash, hash)
        VALUES (1, 'ana', 'review', 'match', NULL, '2026-11-30T00:00:00Z', NULL, 'h')
        """,
        "UPDATE second_review SET state = 'done' WHERE pair_id = 1",
    ]

    func testVerdictWritesOpenNoEphemeralTable() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model)
        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        try db.read { db in
            for sql in Self.constrainedWrites {
                let program = try Row.fetchAll(db, sql: "EXPLAIN \(sql)").map { $0["opcode"] as String }
                XCTAssertTrue(program.contains("Halt"), "a whole program: \(sql)")
                XCTAssertFalse(program.contains("OpenEphemeral"), sql)
            }
        }
    }

    /// The per-pattern verdict tally the trigger keeps equals a recount from the decisions,
    /// after verdicts, an undo and a correction.
    func testPatternVerdictsFollowEveryDecision() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model)
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        var decided: [Int64] = []
        for verdict in [Verdict.match, .nonMatch, .unsure, .match, .nonMatch, .match] {
            let pair = try XCTUnwrap(queue.claimNext())
            _ = try queue.decide(pair.id, verdict, note: nil, shown: nil)
            decided.append(pair.id)
        }
        _ = try queue.undoLast()
        _ = try queue.decide(decided[0], .nonMatch, note: "second thoughts", shown: nil)  // a correction
        queue.close()
        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        let (kept, recount) = try db.read { db in
            (try Row.fetchAll(db, sql: "SELECT pattern_id, matches, non_matches, unsure FROM pattern_verdicts WHERE matches + non_matches + unsure > 0 ORDER BY pattern_id"),
             try Row.fetchAll(db, sql: """
                SELECT p.pattern_id, sum(d.verdict = 'match') AS matches, sum(d.verdict = 'non-match') AS non_matches, sum(d.verdict = 'unsure') AS unsure
                FROM decision d JOIN pair p ON p.id = d.pair_id
                WHERE d.id = (SELECT max(id) FROM decision WHERE pair_id = d.pair_id) AND d.verdict IS NOT NULL
                GROUP BY p.pattern_id ORDER BY p.pattern_id
                """))
        }
        XCTAssertEqual(kept, recount)
        XCTAssertEqual(kept.reduce(0) { $0 + ($1["matches"] as Int) + ($1["non_matches"] as Int) + ($1["unsure"] as Int) }, 5,
                       "six verdicts, one undone")
    }

    func testQueueFromBeforeV5IsUpgradedInPlaceWithTheSameRules() throws {
        // A queue as versions up to v4 wrote it: one pair, decided, with its decision.
        let old = try DatabaseQueue(path: path)
        try QueueSchema.migrator.migrate(old, upTo: "v4: blind second review, adjudication, reservations")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO import_batch (id, file, imported_at, row_count, added, duplicates, pending) VALUES (1, 'p.csv', 't', 1, 1, 0, 1);
                INSERT INTO record (id, source_dataset, unique_id, field_values) VALUES (1, '', 'a', '["Ann"]'), (2, '', 'b', '["Anne"]');
                INSERT INTO pattern (id, gammas, pair_count, match_weight, match_probability) VALUES (1, '2', 1, 0, 0.5);
                INSERT INTO pair (id, left_record_id, right_record_id, pattern_id, imported_match_weight,
                                  imported_match_probability, import_batch_id, state, priority)
                VALUES (1, 1, 2, 1, 0, 0.5, 1, 'decided', 0);
                UPDATE pair_state_count SET count = 1 WHERE state = 'decided';
                INSERT INTO decision (pair_id, reviewer, kind, verdict, decided_at, hash) VALUES (1, 'ana', 'review', 'match', 't', 'h');
                INSERT INTO second_review (pair_id, first_reviewer, stratum, sampled_at, state) VALUES (1, 'ana', 'all', 't', 'pending');
                """)
        }
        let oldSchema = try old.read { try String.fetchAll($0, sql: "SELECT sql FROM sqlite_master WHERE name IN ('pair', 'decision', 'second_review')") }
        XCTAssertTrue(oldSchema.allSatisfy { $0.contains(" IN (") })
        try old.close()

        let upgraded = try QueueFile.open(path: path)
        defer { try? upgraded.close() }
        try upgraded.read { db in
            XCTAssertEqual(try String.fetchAll(db, sql: "PRAGMA integrity_check"), ["ok"])
            XCTAssertTrue(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations").contains("v5: CHECK constraints as comparisons"))
            let schema = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE name IN ('pair', 'decision', 'second_review')")
            XCTAssertEqual(schema.count, 3)
            XCTAssertFalse(schema.contains { $0.contains(" IN (") }, "every IN list restated")
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT state FROM pair WHERE id = 1"), "decided")
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT verdict FROM decision WHERE pair_id = 1"), "match")
        }
        // The same values pass and the same values are refused as before.
        try upgraded.write { db in
            try db.execute(sql: "UPDATE pair SET state = 'disputed' WHERE id = 1")
            try db.execute(sql: "INSERT INTO decision (pair_id, reviewer, kind, verdict, decided_at, hash) VALUES (1, 'bo', 'adjudication', NULL, 't', 'h2')")
        }
        for bad in [
            "UPDATE pair SET state = 'done' WHERE id = 1",
            "INSERT INTO decision (pair_id, reviewer, kind, verdict, decided_at, hash) VALUES (1, 'ana', 'review', 'maybe', 't', 'h')",
            "INSERT INTO decision (pair_id, reviewer, kind, verdict, decided_at, hash) VALUES (1, 'ana', 'third-review', 'match', 't', 'h')",
            "UPDATE second_review SET state = 'claimed-twice' WHERE pair_id = 1",
        ] {
            XCTAssertThrowsError(try upgraded.write { try $0.execute(sql: bad) }, bad) { error in
                XCTAssertEqual((error as? DatabaseError)?.resultCode, .SQLITE_CONSTRAINT, bad)
            }
        }
    }

    /// Migration v7 moves every live claim, of each kind, into the claim table, and the rows
    /// claimed keep only their state.
    func testClaimsFromBeforeV7MoveIntoTheClaimTable() throws {
        let old = try DatabaseQueue(path: path)
        try QueueSchema.migrator.migrate(old, upTo: "v6: models beyond independence, audit samples")
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO import_batch (id, file, imported_at, row_count, added, duplicates, pending) VALUES (1, 'p.csv', 't', 4, 4, 0, 4);
                INSERT INTO record (id, source_dataset, unique_id, field_values)
                    VALUES (1, '', 'a', '["Ann"]'), (2, '', 'b', '["Anne"]'), (3, '', 'c', '["Bo"]'), (4, '', 'd', '["Bob"]');
                INSERT INTO pattern (id, gammas, pair_count, match_weight, match_probability) VALUES (1, '2', 4, 0, 0.5);
                INSERT INTO pair (id, left_record_id, right_record_id, pattern_id, imported_match_weight, imported_match_probability,
                                  import_batch_id, state, priority, claimed_by, lease_expires_at)
                VALUES (1, 1, 2, 1, 0, 0.5, 1, 'claimed', 0.25, 'ana', 100),
                       (2, 1, 3, 1, 0, 0.5, 1, 'decided', 0, NULL, NULL),
                       (3, 1, 4, 1, 0, 0.5, 1, 'disputed', 0, 'quinn', 200),
                       (4, 2, 3, 1, 0, 0.5, 1, 'pending', 0, NULL, NULL);
                INSERT INTO second_review (pair_id, first_reviewer, stratum, sampled_at, state, claimed_by, lease_expires_at)
                    VALUES (2, 'ana', 'all', 't', 'claimed', 'bo', 300);
                """)
        }
        try old.close()

        let upgraded = try QueueFile.open(path: path)
        defer { try? upgraded.close() }
        try upgraded.read { db in
            XCTAssertEqual(try String.fetchAll(db, sql: "PRAGMA integrity_check"), ["ok"])
            let claims = try Row.fetchAll(db, sql: "SELECT pair_id, kind, reviewer, lease_expires_at, priority FROM claim ORDER BY pair_id")
                .map { "\($0[0] as Int64) \($0[1] as String) \($0[2] as String) \($0[3] as Double) \($0[4] as Double)" }
            XCTAssertEqual(claims, ["1 review ana 100.0 0.25", "2 second-review bo 300.0 0.0", "3 adjudication quinn 200.0 0.0"])
            for table in ["pair", "second_review"] {
                let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String }
                XCTAssertFalse(columns.contains("claimed_by"), "\(table) keeps only its state")
                XCTAssertFalse(columns.contains("lease_expires_at"), table)
            }
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT state FROM pair ORDER BY id"), ["claimed", "decided", "disputed", "pending"])
        }
        XCTAssertEqual(try QueueVerification.run(queue: path).problems, [])
    }
}
