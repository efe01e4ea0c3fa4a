import ClericalCore
import ClericalStore
import PostgresNIO

/// `clerical verify` on a PostgreSQL queue: the append-only triggers in place and enabled,
/// both hash chains walked row by row with the same code as on SQLite (`ChainWalk`), and
/// every claim on a row waiting for one. An edit made with `psql` behind the tool's back —
/// a verdict changed, a row deleted, a trigger dropped or disabled — is found.
package enum PostgresVerification {
    /// Rows per page while walking a chain.
    static let pageRows = 50_000

    /// - Parameter inTransaction: the caller's transaction is open (a copy checks what it wrote
    ///   before committing it); otherwise the checks read one snapshot of their own.
    package static func run(_ queue: PostgresQueue, inTransaction: Bool = false) throws(ClericalError) -> VerificationReport {
        let link = queue.link
        var report = VerificationReport()
        do {
            try PostgresQueueTables.snapshot(link, unless: inTransaction) {
                try checkTriggers(link, into: &report)
                try walk(link, log: "decision", columns: ChainWalk.decisionColumns, into: &report) { cells, id, walk in
                    walk.step(id: id, previous: try cells[9].decode(String?.self), stored: try cells[10].decode(String?.self)) {
                        () throws(ChainWalk.Unreadable) in
                        try DecisionContent.stored(
                            pairID: try read(cells[1], Int64.self), reviewer: try read(cells[2], String?.self),
                            kind: try read(cells[3], String?.self), verdict: try read(cells[4], String?.self),
                            note: try read(cells[5], String?.self), decidedAt: try read(cells[6], String?.self),
                            shownMatchWeight: try read(cells[7], Double?.self),
                            shownMatchProbability: try read(cells[8], Double?.self)).hash
                    }
                }
                try walk(link, log: "reveal", columns: ChainWalk.revealColumns, into: &report) { cells, id, walk in
                    walk.step(id: id, previous: try cells[5].decode(String?.self), stored: try cells[6].decode(String?.self)) {
                        () throws(ChainWalk.Unreadable) in
                        RevealContent(pairID: try read(cells[1], Int64.self), reviewer: try read(cells[2], String?.self) ?? "",
                                      field: try read(cells[3], String?.self),
                                      revealedAt: try read(cells[4], String?.self) ?? "").hash
                    }
                }
                for row in try link.rows(QueueVerification.misplacedClaimsSQL) {
                    let cells = row.makeRandomAccess()
                    report.problems.append(QueueVerification.misplacedClaim(pair: try cells[0].decode(Int64.self), kind: try cells[1].decode(String.self)))
                }
                for row in try link.rows(QueueVerification.claimedWithoutClaimSQL) {
                    report.problems.append(QueueVerification.claimedWithoutClaim(pair: try row.makeRandomAccess()[0].decode(Int64.self)))
                }
            }
        } catch let error as ClericalError {
            throw error
        } catch {
            throw ClericalError(.dataError, "\(queue.address): a row does not read: \(error)")
        }
        return report
    }

    /// The triggers that keep decisions and reveals append-only, each present and enabled
    /// (`ALTER TABLE … DISABLE TRIGGER` is as good as dropping one).
    private static func checkTriggers(_ link: PostgresLink, into report: inout VerificationReport) throws(ClericalError) {
        var enabled: [String: Bool] = [:]
        for row in try link.rows("""
            SELECT tgname::text, tgenabled::text FROM pg_trigger
            WHERE NOT tgisinternal AND tgrelid IN ('decision'::regclass, 'reveal'::regclass)
            """) {
            enabled[try PostgresQueue.text(row, 0)] = try PostgresQueue.text(row, 1) != "D"
        }
        let expected = QueueVerification.appendOnlyTriggers
            + ["decision_is_append_only_truncate", "reveal_is_append_only_truncate"]
        for name in expected {
            let log = name.hasPrefix("reveal") ? "reveals" : "decisions"
            switch enabled[name] {
            case nil: report.problems.append("trigger \(name) is missing: \(log) are no longer protected from change")
            case false?: report.problems.append("trigger \(name) is disabled: \(log) are no longer protected from change")
            default: break
            }
        }
    }

    /// Reads a log in id order, a page at a time, handing each row to `step`.
    private static func walk(_ link: PostgresLink, log: String, columns: String, into report: inout VerificationReport,
                             _ step: (PostgresRandomAccessRow, Int64, inout ChainWalk) throws -> Void) throws {
        var chain = ChainWalk(log: log)
        var after = Int64.min
        while true {
            var binds = PostgresBindings()
            binds.append(after)
            let rows = try link.rows("SELECT \(columns) FROM \(log) WHERE id > $1 ORDER BY id LIMIT \(pageRows)", binds)
            for row in rows {
                let cells = row.makeRandomAccess()
                after = try cells[0].decode(Int64.self)
                try step(cells, after, &chain)
            }
            if rows.count < pageRows { break }
        }
        chain.finish(into: &report)
    }

    private static func read<T: PostgresDecodable>(_ cell: PostgresCell, _ type: T.Type) throws(ChainWalk.Unreadable) -> T {
        do { return try cell.decode(T.self) } catch { throw ChainWalk.Unreadable("\(cell.columnName) does not read: \(error)") }
    }
}
