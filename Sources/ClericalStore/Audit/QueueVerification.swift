import ClericalCore
import Foundation
import GRDB

/// What `clerical verify` found.
public struct VerificationReport: Sendable, Equatable {
    public var decisions = 0
    public var reveals = 0
    /// Everything wrong, the first bad decision row first. Empty when the queue is sound.
    public var problems: [String] = []

    public var isSound: Bool { problems.isEmpty }
}

/// Checks a queue file end to end: SQLite's own integrity check, the append-only triggers,
/// and the decision hash chain row by row, so an edit made behind the tool's back (a trigger
/// dropped, a verdict changed with sqlite3) is found.
///
///     let report = try QueueVerification.run(queue: "queue.db")
///     report.isSound
public enum QueueVerification {
    static let appendOnlyTriggers = ["decision_is_append_only_update", "decision_is_append_only_delete",
                                     "reveal_is_append_only_update", "reveal_is_append_only_delete"]

    public static func run(queue path: String) throws(ClericalError) -> VerificationReport {
        try QueueFile.using(path) { db in
            var report = VerificationReport()
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            if integrity != ["ok"] {
                report.problems.append("SQLite integrity check: " + integrity.prefix(5).joined(separator: "; "))
            }
            let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            for name in appendOnlyTriggers where !triggers.contains(name) {
                let log = name.hasPrefix("reveal") ? "reveals" : "decisions"
                report.problems.append("trigger \(name) is missing: \(log) are no longer protected from UPDATE or DELETE")
            }
            try checkChain(db, into: &report)
            try checkReveals(db, into: &report)
            try checkClaims(db, into: &report)
            return report
        }
    }

    /// Every claim sits on a row in its claimed state, and every claimed row has its claim.
    private static func checkClaims(_ db: Database, into report: inout VerificationReport) throws {
        for row in try Row.fetchAll(db, sql: """
            SELECT c.pair_id, c.kind FROM claim c JOIN pair p ON p.id = c.pair_id LEFT JOIN second_review s ON s.pair_id = c.pair_id
            WHERE ((c.kind = 'review' OR c.kind = 'audit') AND p.state <> 'claimed')
               OR (c.kind = 'second-review' AND coalesce(s.state, '') <> 'claimed')
               OR (c.kind = 'adjudication' AND p.state <> 'disputed')
            ORDER BY c.pair_id LIMIT 5
            """) {
            report.problems.append("pair \(row["pair_id"] as Int64): a \(row["kind"] as String) claim on a pair that is not waiting for one")
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT id FROM pair WHERE state = 'claimed' AND id NOT IN (SELECT pair_id FROM claim)
            UNION ALL SELECT pair_id FROM second_review WHERE state = 'claimed' AND pair_id NOT IN (SELECT pair_id FROM claim)
            ORDER BY 1 LIMIT 5
            """) {
            report.problems.append("pair \(row[0] as Int64): claimed, with no claim (no holder, no lease)")
        }
    }

    /// The reveal log's chain (its first break is reported after the decisions').
    private static func checkReveals(_ db: Database, into report: inout VerificationReport) throws {
        let rows = try RawStatement(db, sql: "SELECT id, pair_id, reviewer, field, revealed_at, previous_hash, hash FROM reveal ORDER BY id")
        let broken = try firstBreak(in: rows, log: "reveal", hashColumn: 6, count: &report.reveals) { row in
            RevealContent(pairID: row.int64(1), reviewer: row.text(2) ?? "", field: row.text(3), revealedAt: row.text(4) ?? "").hash
        }
        if let broken { report.problems.append(broken) }
    }

    /// Recomputes every decision's hash from its content and the row before; reports the first
    /// row that does not match (a later row can only be judged against a sound one).
    private static func checkChain(_ db: Database, into report: inout VerificationReport) throws {
        let rows = try RawStatement(db, sql: """
            SELECT id, pair_id, reviewer, kind, verdict, note, decided_at, shown_match_weight, shown_match_probability,
                   previous_hash, hash
            FROM decision ORDER BY id
            """)
        let broken = try firstBreak(in: rows, log: "decision", hashColumn: 10, count: &report.decisions) { row in
            guard let kind = row.text(3).flatMap(DecisionKind.init(rawValue:)) else { throw Unreadable("unknown kind \(row.text(3) ?? "NULL")") }
            let verdictText = row.text(4)
            let verdict = verdictText.flatMap(Verdict.init(rawValue:))
            if let verdictText, verdict == nil { throw Unreadable("unknown verdict \(verdictText)") }
            return DecisionContent(
                pairID: row.int64(1), reviewer: row.text(2) ?? "", kind: kind, verdict: verdict, note: row.text(5),
                decidedAt: row.text(6) ?? "", shownMatchWeight: row.isNull(7) ? nil : row.double(7),
                shownMatchProbability: row.isNull(8) ? nil : row.double(8)).hash
        }
        if let broken { report.problems.insert(broken, at: 0) }
    }

    /// A row whose content cannot be read at all.
    private struct Unreadable: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Walks one hash-chained log in id order (`id` in column 0, `previous_hash` and `hash` in
    /// `hashColumn` − 1 and `hashColumn`), counting its rows, and returns its first break: a row
    /// `link` cannot read, a previous_hash that is not the row before's hash, or content that
    /// does not match its hash.
    private static func firstBreak(in rows: RawStatement, log: String, hashColumn: Int32, count: inout Int,
                                   link: (RawRow) throws -> (String?) -> String) throws -> String? {
        var previous: String? = nil
        var broken: String?
        var rowCount = 0
        try rows.each { row in
            rowCount += 1
            guard broken == nil else { return }
            let id = row.int64(0)
            let storedPrevious = row.text(hashColumn - 1), stored = row.text(hashColumn)
            do {
                let hash = try link(row)
                if storedPrevious != previous {
                    broken = "\(log) \(id): previous_hash does not match \(log) before it (a row was removed, inserted or reordered)"
                } else if hash(previous) != stored {
                    broken = "\(log) \(id): its content does not match its hash (the row was changed after it was written)"
                }
            } catch let unreadable as Unreadable {
                broken = "\(log) \(id): \(unreadable.message)"
            }
            previous = stored
        }
        count += rowCount
        return broken
    }
}
