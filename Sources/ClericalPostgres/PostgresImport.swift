import ClericalCore
import ClericalStore
import Foundation
import PostgresNIO

/// `clerical import URL PREDICTIONS`: Splink output into a queue in a PostgreSQL schema. The
/// rows are read, checked and made into records, patterns and pairs by the importer a queue
/// file has (`SplinkImporter`, with its line-and-column messages), and moved to the server by
/// `COPY` in one transaction. A failed import leaves the server as it was and no scratch file
/// behind.
///
/// - A new schema gets its records and pairs streamed to the server as the file is read
///   (`PostgresRowStream`); the rest of the queue (settings, model, patterns, counters) is
///   built in a scratch file and copied after them (`QueueCopy`), and the whole verified
///   before it commits.
/// - A queue already there gets a batch: the part of the queue the batch can meet is copied
///   into the scratch file (one snapshot, while reviewers go on working: the small tables
///   whole, and of records and pairs only those the batch names, `copyNeighbourhood`), the
///   batch imported into that, and what the import added (records, patterns, pairs, the batch,
///   and the counts it changed) moved back.
///   Reviewers change pair states and claims meanwhile, never records, patterns or scores,
///   so the additions and increments apply to the queue as it then stands; an import or
///   re-estimation that got there first is refused (75) and nothing is written.
///
///     let summary = try PostgresImport.run(address, predictions: "predictions.csv", model: "model.json")
public enum PostgresImport {
    public static func run(_ address: PostgresAddress, predictions: String, model: String? = nil, band: ReviewBand? = nil,
                           progress: SplinkImporter.Progress? = nil) throws(ClericalError) -> ImportSummary {
        try run(address, predictions: predictions, model: model, band: band, progress: progress, pageBytes: PostgresRowStream.defaultPageBytes)
    }

    /// The same, a new queue's rows sent `pageBytes` at a time (a test makes pages small).
    static func run(_ address: PostgresAddress, predictions: String, model: String?, band: ReviewBand?,
                    progress: SplinkImporter.Progress?, pageBytes: Int) throws(ClericalError) -> ImportSummary {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("clerical-import-\(UUID().uuidString).db").path
        defer { QueueFile.remove(path: scratch) }
        if try holdsTables(address) {
            return try addBatch(address, scratch: scratch, predictions: predictions, model: model, band: band, progress: progress)
        }
        var imported: ImportSummary?
        _ = try QueueCopy.fileToServer(scratch, address) { link throws(ClericalError) in
            let rows = PostgresRowStream(link, pageBytes: pageBytes)
            defer { rows.close() }  // before the transaction ends, however the import does
            imported = try SplinkImporter.run(queue: scratch, predictions: predictions, model: model, band: band,
                                              progress: progress, rows: rows)
            try rows.finish()
        }
        var summary = imported!
        summary.createdQueue = true
        return summary
    }

    private static func holdsTables(_ address: PostgresAddress) throws(ClericalError) -> Bool {
        let link = try PostgresLink.open(address)
        defer { link.close() }
        let tables = try link.rows("SELECT count(*)::bigint FROM pg_tables WHERE schemaname = '\(address.schema)'")
        guard let row = tables.first else { return false }
        return try PostgresQueue.decode(row, 0, as: Int64.self) > 0
    }

    /// The largest id of each table an import adds to: where its additions start.
    private struct Extent: Equatable {
        var record: Int64, pattern: Int64, pair: Int64, batch: Int64, model: Int64

        static let sql = """
            SELECT (SELECT coalesce(max(id), 0) FROM record) AS record, (SELECT coalesce(max(id), 0) FROM pattern) AS pattern,
                   (SELECT coalesce(max(id), 0) FROM pair) AS pair, (SELECT coalesce(max(id), 0) FROM import_batch) AS batch,
                   (SELECT coalesce(max(id), 0) FROM model_version) AS model
            """

        init(_ db: any QueueReading) throws {
            let row = try db.queueRows(Self.sql, []).first
            record = row?.int64("record") ?? 0
            pattern = row?.int64("pattern") ?? 0
            pair = row?.int64("pair") ?? 0
            batch = row?.int64("batch") ?? 0
            model = row?.int64("model") ?? 0
        }
    }

    /// Tables an import never reads: the logs, claims and samples stay on the server.
    private static let leftBehind: Set<String> = ["decision", "reveal", "claim", "second_review", "audit_pair"]
    /// Record keys sent to the server per query.
    private static let lookupChunk = 50_000

    /// Writes into the scratch file what a batch is imported against, from one snapshot of the
    /// server's queue: every small table whole (settings, model, patterns, batches, counters,
    /// reviewers, audits), and of the large ones only the records the batch names and the
    /// pairs between them, so a batch costs what it holds rather than what the queue does. The
    /// importer finds its records and repeated pairs there as it would in the whole queue. The
    /// record and the pair with the largest ids come too, so that the scratch file numbers the
    /// batch's new rows from where the server's ids end.
    private static func copyNeighbourhood(of keys: [SplinkImporter.RecordKey], from queue: PostgresQueue,
                                          into scratch: String) throws(ClericalError) {
        let link = queue.link
        func ids(_ sql: String) throws(ClericalError) -> [Int64] {
            var found: [Int64] = []
            for row in try link.rows(sql) {
                for column in 0..<row.count {
                    if let id = try PostgresQueue.decode(row, column, as: Int64?.self) { found.append(id) }
                }
            }
            return found
        }
        func byID(_ rows: [[TableValue]]) -> [[TableValue]] {
            var seen = Set<Int64>()
            return rows.filter { if case .integer(let id) = $0[0] { return seen.insert(id).inserted } else { return false } }
                .sorted { if case .integer(let a) = $0[0], case .integer(let b) = $1[0] { return a < b } else { return false } }
        }
        var records: [Int64] = []
        do {
            try PostgresQueueTables.snapshot(link) {
                try SQLiteQueueTables.write(path: scratch) { table, sink in
                    switch table.name {
                    case "record":
                        var binds = PostgresBindings()
                        binds.append(try ids("SELECT left_record_id, right_record_id FROM pair ORDER BY id DESC LIMIT 1")
                                     + ids("SELECT max(id) FROM record"))
                        var rows = try PostgresQueueTables.rows(link, of: table, where: "id = ANY($1)", binds)
                        var start = 0
                        while start < keys.count {
                            let chunk = keys[start..<min(start + lookupChunk, keys.count)]
                            start += lookupChunk
                            var binds = PostgresBindings()
                            binds.append(chunk.map(\.dataset))
                            binds.append(chunk.map(\.uniqueID))
                            rows += try PostgresQueueTables.rows(link, of: table, where: """
                                (source_dataset, unique_id) IN (SELECT k.d, k.u FROM unnest($1::text[], $2::text[]) AS k(d, u))
                                """, binds)
                        }
                        rows = byID(rows)
                        records = rows.compactMap { if case .integer(let id) = $0[0] { id } else { nil } }
                        try sink(rows)
                    case "pair":
                        var binds = PostgresBindings()
                        binds.append(records)
                        try sink(byID(try PostgresQueueTables.rows(link, of: table, where: """
                            id = (SELECT max(id) FROM pair) OR (left_record_id = ANY($1) AND right_record_id = ANY($1))
                            """, binds)))
                    case let name where leftBehind.contains(name):
                        break
                    default:
                        try PostgresQueueTables.read(link, table: table) { try sink($0) }
                    }
                }
            }
        } catch let error as ClericalError {
            throw error
        } catch {
            throw ClericalError(.ioError, "\(scratch): \(error)")
        }
    }

    private static func addBatch(_ address: PostgresAddress, scratch: String, predictions: String, model: String?, band: ReviewBand?,
                                 progress: SplinkImporter.Progress?) throws(ClericalError) -> ImportSummary {
        let queue = try PostgresQueue.open(address)
        defer { queue.close() }
        try queue.require(.importPairs)
        let keys = try SplinkImporter.recordKeys(predictions: predictions, model: model)
        try copyNeighbourhood(of: keys, from: queue, into: scratch)
        let before = try QueueFile.reading(scratch) { db in try Extent(db) }
        let summary = try SplinkImporter.run(queue: scratch, predictions: predictions, model: model, band: band, progress: progress)
        let (grown, entered) = try QueueFile.reading(scratch) { db in
            (try db.queueRows("""
                SELECT pattern_id, count(*) AS added FROM pair WHERE id > ? AND pattern_id <= ? GROUP BY pattern_id ORDER BY pattern_id
                """, [.integer(before.pair), .integer(before.pattern)]).map { (pattern: $0.int64("pattern_id"), added: $0.int64("added")) },
             try db.queueRows("SELECT id FROM pattern WHERE id <= ? AND in_band = 1 ORDER BY id", [.integer(before.pattern)]).map { $0.int64("id") })
        }
        let link = queue.link
        var newPairs: Int64 = 0
        try link.transaction { () throws(ClericalError) in
            // One import at a time; the queue must still be the one the batch was read into.
            try link.run("LOCK TABLE import_batch IN EXCLUSIVE MODE")
            guard try queue.withStore({ link throws in try Extent(link) }) == before else {
                throw ClericalError(.tryAgain, "\(address): the queue changed while the batch was read (another import or a re-estimation came first); nothing was added: import it again")
            }
            var newInBand: [Int64: Int64] = [:]
            try SQLiteQueueTables.read(path: scratch, after: [
                "model_version": ("id", before.model), "level_parameter": ("model_version_id", before.model),
                "import_batch": ("id", before.batch), "record": ("id", before.record),
                "pattern": ("id", before.pattern), "pair": ("id", before.pair),
            ]) { (table, rows) throws(ClericalError) in
                if table.name == "pattern" {
                    let inBand = table.columns.firstIndex { $0.name == "in_band" }!, open = table.columns.firstIndex { $0.name == "open_count" }!
                    for row in rows {
                        if case .integer(let flag) = row[inBand], case .integer(let count) = row[open] { newInBand[flag, default: 0] += count }
                    }
                }
                if table.name == "pair" { newPairs += Int64(rows.count) }
                try PostgresQueueTables.write(link, table: table, rows: rows)
            }
            try queue.withStore { link throws in
                // The batch's pairs in patterns the queue had: counted there (a trigger follows
                // the open count into the band counts).
                for (pattern, added) in grown {
                    try link.queueExecute("UPDATE pattern SET pair_count = pair_count + ?, open_count = open_count + ? WHERE id = ?",
                                          [.integer(added), .integer(added), .integer(pattern)])
                }
                // Patterns a wider band given with the batch brought into review.
                for pattern in entered {
                    try link.queueExecute("UPDATE pattern SET in_band = 1 WHERE id = ? AND in_band = 0", [.integer(pattern)])
                }
                // New patterns' open pairs and the new pending pairs, counted once (the triggers
                // follow updates, not these inserts), band first as the commit-time trigger does.
                for (flag, count) in newInBand.sorted(by: { $0.key < $1.key }) where count != 0 {
                    try link.queueExecute("UPDATE band_count SET count = count + ? WHERE in_band = ?", [.integer(count), .integer(flag)])
                }
                try link.queueExecute("UPDATE pair_state_count SET count = count + ? WHERE state = 'pending'", [.integer(newPairs)])
            }
            try PostgresQueueTables.advanceSequences(link)
        }
        // As autovacuum would: statistics again once a table has grown by a tenth.
        if newPairs * 10 > before.pair { PostgresQueueTables.analyze(link) }
        return summary
    }
}
