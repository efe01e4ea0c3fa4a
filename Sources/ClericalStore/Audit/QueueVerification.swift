import ClericalCore
import Foundation
import GRDB

/// What `clerical verify` found.
public struct VerificationReport: Sendable, Equatable {
    public var decisions = 0
    public var reveals = 0
    /// The last hash of each chain: the same on every copy of the queue.
    public var decisionHead: String?
    public var revealHead: String?
    /// Everything wrong, the first bad decision row first. Empty when the queue is sound.
    public var problems: [String] = []

    public var isSound: Bool { problems.isEmpty }

    public init() {}
}

/// Checks a queue file end to end: SQLite's own integrity check, the append-only triggers,
/// and the decision hash chain row by row, so an edit made behind the tool's back (a trigger
/// dropped, a verdict changed with sqlite3) is found.
///
///     let report = try QueueVerification.run(queue: "queue.db")
///     report.isSound
public enum QueueVerification {
    package static let appendOnlyTriggers = ["decision_is_append_only_update", "decision_is_append_only_delete",
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
        for row in try Row.fetchAll(db, sql: misplacedClaimsSQL) {
            report.problems.append(misplacedClaim(pair: row[0], kind: row[1]))
        }
        for row in try Row.fetchAll(db, sql: claimedWithoutClaimSQL) {
            report.problems.append(claimedWithoutClaim(pair: row[0]))
        }
    }

    /// Claims on rows not waiting for one (pair id, kind): the same SQL on both backends.
    package static let misplacedClaimsSQL = """
        SELECT c.pair_id, c.kind FROM claim c JOIN pair p ON p.id = c.pair_id LEFT JOIN second_review s ON s.pair_id = c.pair_id
        WHERE ((c.kind = 'review' OR c.kind = 'audit') AND p.state <> 'claimed')
           OR (c.kind = 'second-review' AND coalesce(s.state, '') <> 'claimed')
           OR (c.kind = 'adjudication' AND p.state <> 'disputed')
        ORDER BY c.pair_id LIMIT 5
        """
    /// Rows in a claimed state with no claim (pair id).
    package static let claimedWithoutClaimSQL = """
        SELECT id FROM pair WHERE state = 'claimed' AND id NOT IN (SELECT pair_id FROM claim)
        UNION ALL SELECT pair_id FROM second_review WHERE state = 'claimed' AND pair_id NOT IN (SELECT pair_id FROM claim)
        ORDER BY 1 LIMIT 5
        """
    package static func misplacedClaim(pair: Int64, kind: String) -> String {
        "pair \(pair): a \(kind) claim on a pair that is not waiting for one"
    }
    package static func claimedWithoutClaim(pair: Int64) -> String {
        "pair \(pair): claimed, with no claim (no holder, no lease)"
    }

    /// The reveal log's chain (its first break is reported after the decisions').
    private static func checkReveals(_ db: Database, into report: inout VerificationReport) throws {
        var walk = ChainWalk(log: "reveal")
        try RawStatement(db, sql: "SELECT \(ChainWalk.revealColumns) FROM reveal ORDER BY id").each { row in
            walk.step(id: row.int64(0), previous: row.text(5), stored: row.text(6)) { () throws(ChainWalk.Unreadable) in
                RevealContent(pairID: row.int64(1), reviewer: row.text(2) ?? "", field: row.text(3), revealedAt: row.text(4) ?? "").hash
            }
        }
        walk.finish(into: &report)
    }

    /// Recomputes every decision's hash from its content and the row before.
    private static func checkChain(_ db: Database, into report: inout VerificationReport) throws {
        var walk = ChainWalk(log: "decision")
        try RawStatement(db, sql: "SELECT \(ChainWalk.decisionColumns) FROM decision ORDER BY id").each { row in
            walk.step(id: row.int64(0), previous: row.text(9), stored: row.text(10)) { () throws(ChainWalk.Unreadable) in
                try DecisionContent.stored(
                    pairID: row.int64(1), reviewer: row.text(2), kind: row.text(3), verdict: row.text(4), note: row.text(5),
                    decidedAt: row.text(6), shownMatchWeight: row.isNull(7) ? nil : row.double(7),
                    shownMatchProbability: row.isNull(8) ? nil : row.double(8)).hash
            }
        }
        walk.finish(into: &report)
    }
}

/// Walks one hash-chained log (decisions, reveals) in id order, on either backend: counts its
/// rows, keeps the last hash (the chain's head) and finds its first break: a row whose content
/// cannot be read, a previous_hash that is not the row before's hash, or content that does not
/// match its hash. A later row can only be judged against a sound one, so only the first is kept.
package struct ChainWalk {
    /// A row whose content cannot be read at all.
    package struct Unreadable: Error {
        let message: String
        package init(_ message: String) { self.message = message }
    }

    /// The columns each log is read with, in the order `step` is given them.
    package static let decisionColumns = """
        id, pair_id, reviewer, kind, verdict, note, decided_at, shown_match_weight, shown_match_probability, previous_hash, hash
        """
    package static let revealColumns = "id, pair_id, reviewer, field, revealed_at, previous_hash, hash"

    let log: String
    package private(set) var rows = 0
    package private(set) var head: String?
    package private(set) var broken: String?

    package init(log: String) { self.log = log }

    package mutating func step(id: Int64, previous storedPrevious: String?, stored: String?,
                               link: () throws(Unreadable) -> (String?) -> String) {
        rows += 1
        defer { head = stored }
        guard broken == nil else { return }
        do {
            let hash = try link()
            if storedPrevious != head {
                broken = "\(log) \(id): previous_hash does not match \(log) before it (a row was removed, inserted or reordered)"
            } else if hash(head) != stored {
                broken = "\(log) \(id): its content does not match its hash (the row was changed after it was written)"
            }
        } catch {
            broken = "\(log) \(id): \(error.message)"
        }
    }

    /// Adds the walk to the report: its count and head, and its break (a decision's first).
    package func finish(into report: inout VerificationReport) {
        if log == "decision" {
            report.decisions += rows
            report.decisionHead = head
            if let broken { report.problems.insert(broken, at: 0) }
        } else {
            report.reveals += rows
            report.revealHead = head
            if let broken { report.problems.append(broken) }
        }
    }
}
