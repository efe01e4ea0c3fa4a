import ClericalCore
import Foundation
import GRDB

/// What an import did, for the command to report.
public struct ImportSummary: Sendable, Equatable, Codable {
    public var rows = 0
    public var added = 0
    public var duplicates = 0
    public var pending = 0
    public var decidedByModel = 0
    public var newRecords = 0
    public var newPatterns = 0
    public var comparisons = 0
    public var createdQueue = false
}

/// Where a new queue's records and pairs go when not into its file: a PostgreSQL import streams
/// them to the server by `COPY` while the rest of the queue (settings, model, patterns and
/// counters, all small) is built in a scratch file as for any import. The importer numbers the
/// rows itself (from 1), drops a pair seen twice, and calls these in file order; every byte
/// buffer is valid only during the call.
package protocol ImportRowSink: AnyObject {
    func record(id: Int64, dataset: UnsafeBufferPointer<UInt8>?, uniqueID: UnsafeBufferPointer<UInt8>,
                values: UnsafeBufferPointer<UInt8>) throws(ClericalError)
    func pair(id: Int64, left: Int64, right: Int64, pattern: Int64, weight: Double, probability: Double,
              matchKey: UnsafeBufferPointer<UInt8>?, batch: Int64) throws(ClericalError)
}

/// Imports Splink predictions (and optionally the Splink model JSON) into a queue.
///
/// One transaction: any bad row rolls everything back, and a queue file that the import
/// created is removed again, so a failed import leaves the queue exactly as it was.
///
///     let summary = try SplinkImporter.run(queue: "queue.db", predictions: "predictions.csv",
///                                          model: "model.json")
public enum SplinkImporter {
    /// Called now and then with (bytes read, file size) while rows stream in.
    public typealias Progress = (Int64, Int64) -> Void

    /// SQLite page cache during an import: 32 MiB, inside the 200 MB memory budget.
    static let importCacheKiB = 32_768

    public static func run(queue queuePath: String, predictions predictionsPath: String, model modelPath: String? = nil,
                           band requestedBand: ReviewBand? = nil, progress: Progress? = nil) throws(ClericalError) -> ImportSummary {
        try run(queue: queuePath, predictions: predictionsPath, model: modelPath, band: requestedBand, progress: progress, rows: nil)
    }

    /// As `run`, with a new queue's records and pairs sent to `rows` instead of its file.
    package static func run(queue queuePath: String, predictions predictionsPath: String, model modelPath: String?,
                            band requestedBand: ReviewBand?, progress: Progress?, rows sink: (any ImportRowSink)?) throws(ClericalError) -> ImportSummary {
        let (splinkModel, reader, layout) = try open(predictions: predictionsPath, model: modelPath)
        if let splinkModel { try checkModelFitsFile(splinkModel, layout, modelPath!, predictionsPath) }

        let queueExisted = FileManager.default.fileExists(atPath: queuePath)
        precondition(sink == nil || !queueExisted, "records and pairs are streamed only into a new queue")
        let database = try QueueFile.open(path: queuePath, create: true, deferWAL: true)
        do {
            var summary = try database.writeWithoutTransaction { db in
                var summary = ImportSummary()
                // A bulk load touches index pages all over the file: a larger page cache keeps
                // them in memory instead of spilling to the journal and reading them back.
                try db.execute(sql: "PRAGMA cache_size = -\(importCacheKiB)")
                // Each pair row has four foreign keys, and checking them would cost four B-tree
                // searches per row. Every id the importer writes comes from a row it found or
                // inserted in this same transaction, so it skips the checks; they are back on for
                // everything else (this pragma can change only outside a transaction).
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                defer {
                    try? db.execute(sql: "PRAGMA foreign_keys = ON")
                    try? db.execute(sql: "PRAGMA cache_size = -2000")
                }
                try db.inTransaction(.immediate) {
                    var session = try ImportSession(db: db, layout: layout, model: splinkModel,
                                                    requestedBand: requestedBand, predictionsPath: predictionsPath)
                    summary = try session.run(reader: reader, progress: progress, rows: sink)
                    return .commit
                }
                return summary
            }
            QueueFile.enableWAL(database)
            try? database.close()
            summary.createdQueue = !queueExisted
            return summary
        } catch {
            try? database.close()
            if !queueExisted { QueueFile.remove(path: queuePath) }
            if let error = error as? ClericalError { throw error }
            throw ClericalError(.ioError, "\(queuePath): \(QueueFile.describe(error)); nothing was imported")
        }
    }

    /// The model, and the predictions file read up to its first row, with what each column is.
    private static func open(predictions predictionsPath: String, model modelPath: String?)
        throws(ClericalError) -> (SplinkModel?, CSVReader, PredictionsLayout) {
        let splinkModel = try modelPath.map { path throws(ClericalError) in try loadModel(path) }
        var reader = try CSVReader(path: predictionsPath)
        guard try reader.nextRow() else {
            throw ClericalError(.dataError, "the file is empty: expected a header row of Splink predictions",
                                at: InputLocation(file: predictionsPath))
        }
        try reader.validateUTF8()
        let header = try (0..<reader.fieldCount).map { i throws(ClericalError) in try reader.string(at: i) }
        let layout = try PredictionsLayout(
            header: header, file: predictionsPath,
            uniqueIdColumn: splinkModel?.uniqueIdColumn ?? "unique_id",
            sourceDatasetColumn: splinkModel?.sourceDatasetColumn ?? "source_dataset",
            gammaPrefix: splinkModel?.gammaPrefix ?? "gamma_")
        return (splinkModel, reader, layout)
    }

    /// A record as the importer keys it: its source dataset ("" in a dedupe job) and unique id.
    package struct RecordKey: Hashable, Sendable {
        package var dataset: String
        package var uniqueID: String
    }

    /// Every record a predictions file names, each once: what a batch needs to know of a queue
    /// it is imported into (which of its records and pairs the queue has already). A row the
    /// import would refuse for its shape (a wrong number of fields) is passed over here, since
    /// the import itself reports it; any row the import accepts has its records here.
    package static func recordKeys(predictions predictionsPath: String, model modelPath: String?) throws(ClericalError) -> [RecordKey] {
        var (_, reader, layout) = try open(predictions: predictionsPath, model: modelPath)
        defer { reader.close() }
        var keys = Set<RecordKey>()
        func text(_ column: Int?) -> String {
            guard let column else { return "" }
            return reader.withBytes(at: column) { String(decoding: $0, as: UTF8.self) }
        }
        while try reader.nextRow() {
            guard reader.fieldCount == layout.header.count else { continue }
            keys.insert(RecordKey(dataset: text(layout.sourceDatasetLeft), uniqueID: text(layout.uniqueIdLeft)))
            keys.insert(RecordKey(dataset: text(layout.sourceDatasetRight), uniqueID: text(layout.uniqueIdRight)))
        }
        return Array(keys)
    }

    static func loadModel(_ path: String) throws(ClericalError) -> SplinkModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw ClericalError(.noInput, "\(path): \(reason)")
        }
        return try SplinkModel(json: data, file: path)
    }

    static func checkModelFitsFile(_ model: SplinkModel, _ layout: PredictionsLayout,
                                   _ modelPath: String, _ predictionsPath: String) throws(ClericalError) {
        let inFile = Set(layout.comparisons.map(\.name))
        let inModel = Set(model.comparisons.map(\.name))
        if let extra = layout.comparisons.first(where: { !inModel.contains($0.name) }) {
            throw ClericalError(.dataError, "column \(model.gammaPrefix)\(extra.name) is not a comparison of the model \(modelPath): the model and the predictions do not belong together",
                                at: InputLocation(file: predictionsPath, line: 1, column: nil))
        }
        if let missing = model.comparisons.first(where: { !inFile.contains($0.name) }) {
            throw ClericalError(.dataError, "the model's comparison \"\(missing.name)\" has no column \(model.gammaPrefix)\(missing.name) in \(predictionsPath): the model and the predictions do not belong together",
                                at: InputLocation(file: modelPath))
        }
    }
}

