import ClericalCore
import ClericalStore
import Foundation
import NIOCore

/// `clerical copy SOURCE DEST`: a whole queue moved between a SQLite file and a PostgreSQL
/// schema, in either direction, in one transaction on the destination, from one consistent
/// snapshot of the source. Rows keep their ids and their hashes, so both hash chains end on
/// the same head; the destination is verified before the copy reports success, and a copy
/// that fails leaves no destination behind.
///
///     let summary = try QueueCopy.run(from: "queue.db", to: "postgresql://ana@db/linkage?schema=wave3")
public enum QueueCopy {
    public struct Summary: Sendable, Equatable {
        public var rows = 0
        public var decisions = 0
        public var reveals = 0
        /// The last decision's hash, on both sides.
        public var decisionHead: String?
        /// Copied into PostgreSQL: registered reviewers with no database role of their name
        /// (the others were granted the queue's privileges).
        public var reviewersWithoutRole: [String] = []
    }

    /// Copies after checking that `account` (the OS account for a file) may copy the source.
    public static func run(from source: String, to destination: String, account: String) throws(ClericalError) -> Summary {
        switch (PostgresAddress.isURL(source), PostgresAddress.isURL(destination)) {
        case (false, true):
            try Reviewers.require(.copy, queue: source, account: account)
            return try fileToServer(source, try PostgresAddress(url: destination))
        case (true, false):
            let queue = try PostgresQueue.open(try PostgresAddress(url: source))
            defer { queue.close() }
            try queue.require(.copy)
            return try serverToFile(queue, destination)
        default:
            throw ClericalError(.usage, "copy moves a queue between a file and PostgreSQL: one of SOURCE and DEST must be a postgresql:// URL, the other a file")
        }
    }

    /// Makes a new queue in the schema from the file at `path`. `first`, when given, runs at the
    /// start of the load, with every key and index off, before the file is read: an import
    /// streams its records and pairs there while it builds the rest of the queue in the file.
    static func fileToServer(_ path: String, _ address: PostgresAddress,
                             first: ((PostgresLink) throws(ClericalError) -> Void)? = nil) throws(ClericalError) -> Summary {
        let link = try PostgresLink.open(address)
        defer { link.close() }
        var summary = Summary()
        try link.transaction { () throws(ClericalError) in
            try PostgresQueue.create(link)
            try PostgresQueueTables.loadInMemory(link)
            // The new schema's seeded counters make way for the source's.
            try link.run("DELETE FROM pair_state_count")
            try link.run("DELETE FROM band_count")
            // Foreign keys and unique constraints are checked, and every index built, once after
            // the load rather than row by row (a sort, not a million random inserts): each is
            // dropped and made again from its own definition. Keys go first and come back last.
            var constraints: [(table: String, name: String, definition: String)] = []
            for row in try link.rows("""
                SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE contype IN ('f', 'u') AND connamespace = '\(address.schema)'::regnamespace
                ORDER BY contype = 'u', conname
                """) {
                constraints.append((try PostgresQueue.text(row, 0), try PostgresQueue.text(row, 1), try PostgresQueue.text(row, 2)))
            }
            for constraint in constraints { try link.run("ALTER TABLE \(constraint.table) DROP CONSTRAINT \(constraint.name)") }
            for index in PostgresSchema.secondaryIndexes { try link.run("DROP INDEX \(index.name)") }
            try first?(link)
            summary = try send(path, into: link)
            for index in PostgresSchema.secondaryIndexes { try link.run(index.statement) }
            for constraint in constraints.reversed() {
                try link.run("ALTER TABLE \(constraint.table) ADD CONSTRAINT \(constraint.name) \(constraint.definition)")
            }
            try PostgresQueueTables.advanceSequences(link)
            summary.reviewersWithoutRole = try PostgresQueue(link: link).grantRegisteredReviewers()
            try confirm(PostgresVerification.run(PostgresQueue(link: link), inTransaction: true), matches: summary, at: "\(address)")
        }
        PostgresQueueTables.analyze(link)
        return summary
    }

    /// Sends every table of the file with `COPY`, a page at a time. The pages are read and put
    /// in COPY's format on a thread of their own while this one sends the one before, so the
    /// client's work and the server's overlap.
    private static func send(_ path: String, into link: PostgresLink) throws(ClericalError) -> Summary {
        enum Message: Sendable {
            case page(QueueTable, ByteBuffer)
            case failed(ClericalError)
            case finished(Summary)
        }
        let pages = Handoff<Message>(capacity: 4)
        let reader = Thread {
            defer { pages.markProducerDone() }
            var summary = Summary()
            do throws(ClericalError) {
                try SQLiteQueueTables.read(path: path) { (table, rows) throws(ClericalError) in
                    count(rows, of: table, into: &summary)
                    guard !rows.isEmpty else { return }
                    guard pages.send(.page(table, PostgresQueueTables.copyText(rows, table))) else {
                        throw ClericalError(.ioError, "\(path): the copy stopped")  // the sender gave up; never shown
                    }
                }
                _ = pages.send(.finished(summary))
            } catch {
                _ = pages.send(.failed(error))
            }
        }
        reader.start()
        defer {
            pages.cancel()
            pages.waitForProducer()
        }
        while true {
            switch pages.receive() {
            case .page(let table, let text): try link.copy(into: table.name, columns: table.columns.map(\.name), text)
            case .failed(let error): throw error
            case .finished(let summary): return summary
            }
        }
    }

    static func serverToFile(_ queue: PostgresQueue, _ path: String) throws(ClericalError) -> Summary {
        var summary = Summary()
        do {
            try PostgresQueueTables.snapshot(queue.link) {
                try SQLiteQueueTables.write(path: path) { table, sink in
                    try PostgresQueueTables.read(queue.link, table: table) { rows in
                        count(rows, of: table, into: &summary)
                        try sink(rows)
                    }
                }
            }
        } catch let error as ClericalError {
            throw error
        } catch {
            throw ClericalError(.ioError, "\(path): \(error)")
        }
        do {
            try confirm(QueueVerification.run(queue: path), matches: summary, at: path)
        } catch {
            QueueFile.remove(path: path)
            throw error
        }
        return summary
    }

    private static func count(_ rows: [[TableValue]], of table: QueueTable, into summary: inout Summary) {
        summary.rows += rows.count
        guard table.name == "decision" || table.name == "reveal", let last = rows.last else { return }
        if table.name == "decision" {
            summary.decisions += rows.count
            if case .text(let hash) = last[table.columns.count - 1] { summary.decisionHead = hash }
        } else {
            summary.reveals += rows.count
        }
    }

    /// The destination must verify, with the source's chain head and counts.
    private static func confirm(_ report: VerificationReport, matches summary: Summary, at place: String) throws(ClericalError) {
        guard report.isSound else {
            throw ClericalError(.dataError, "\(place): the copy does not verify: \(report.problems[0]); nothing was copied")
        }
        guard report.decisions == summary.decisions, report.reveals == summary.reveals,
              report.decisionHead == summary.decisionHead else {
            throw ClericalError(.dataError, "\(place): the copy's chains differ from the source's; nothing was copied")
        }
    }
}
