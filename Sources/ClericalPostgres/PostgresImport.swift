import ClericalCore
import ClericalStore
import Foundation

/// `clerical import URL PREDICTIONS`: a new queue in a PostgreSQL schema, from Splink output.
/// The rows are read, checked and made into records, patterns and pairs by the importer a queue
/// file has (`SplinkImporter`, with its line-and-column messages), into a scratch file, and then
/// moved into the new schema by `COPY` in one transaction (`QueueCopy`), verified before it
/// commits. A failed import leaves neither a schema nor the scratch file behind.
///
/// Adding a batch to a queue already on the server is not built: the schema must be new.
///
///     let summary = try PostgresImport.run(address, predictions: "predictions.csv", model: "model.json")
public enum PostgresImport {
    public static func run(_ address: PostgresAddress, predictions: String, model: String? = nil, band: ReviewBand? = nil,
                           progress: SplinkImporter.Progress? = nil) throws(ClericalError) -> ImportSummary {
        try refuseExistingQueue(address)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("clerical-import-\(UUID().uuidString).db").path
        defer { QueueFile.remove(path: scratch) }
        var summary = try SplinkImporter.run(queue: scratch, predictions: predictions, model: model, band: band, progress: progress)
        _ = try QueueCopy.fileToServer(scratch, address)
        summary.createdQueue = true
        return summary
    }

    /// Before the file is read: a schema that already holds tables is refused (73), as `copy` would.
    private static func refuseExistingQueue(_ address: PostgresAddress) throws(ClericalError) {
        let link = try PostgresLink.open(address)
        defer { link.close() }
        let tables = try link.rows("SELECT count(*)::bigint FROM pg_tables WHERE schemaname = '\(address.schema)'")
        guard let row = tables.first, try PostgresQueue.decode(row, 0, as: Int64.self) == 0 else {
            throw ClericalError(.cannotCreate, "\(address): schema \(address.schema) already holds tables; adding a batch to a queue on PostgreSQL is not built yet: import into a new schema")
        }
    }
}
