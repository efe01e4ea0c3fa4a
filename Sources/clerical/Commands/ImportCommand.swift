import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import Splink predictions into a review queue (created if missing).",
        discussion: """
            Pairs whose match probability lies in the review band go to review; the others are \
            decided by the model. Every row is kept: all candidate pairs feed re-estimation. \
            Given a postgresql:// URL, the import makes a new queue in that schema, or adds a \
            batch to the queue already there (by COPY, in one transaction). The file may be \
            gzip-compressed (predictions.csv.gz).
            """
    )

    @Argument(help: "The queue: a file (SQLite), or a postgresql:// URL (a new queue on a server, or one to add a batch to).") var queue: String
    @Argument(help: "Splink predictions CSV, plain or gzip-compressed (Splink 4 or 5, with matching and intermediate columns).") var predictions: String
    @Option(help: "The Splink model JSON (linker.misc.save_model_to_json).") var model: String?
    @Option(help: ArgumentHelp("Review pairs with match probability in LOW:HIGH (default 0.05:0.95).", valueName: "LOW:HIGH"))
    var reviewProbability: String?
    @Option(help: ArgumentHelp("Review pairs with match weight in LOW:HIGH instead.", valueName: "LOW:HIGH"))
    var reviewWeight: String?

    func validate() throws {
        if reviewProbability != nil && reviewWeight != nil {
            throw ValidationError("give --review-probability or --review-weight, not both")
        }
    }

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            if FileManager.default.fileExists(atPath: queue) {
                try Reviewers.require(.importPairs, queue: queue, account: try Identity.current())
            }
            var band: ReviewBand?
            if let reviewProbability { band = try ReviewBand.parse(probability: reviewProbability) }
            if let reviewWeight { band = try ReviewBand.parse(weight: reviewWeight) }
            let progress = ProgressBar(label: "importing \((predictions as NSString).lastPathComponent)")
            let update = progress.map { bar in { bar.update($0, of: $1) } }
            let summary: ImportSummary, place: String
            if PostgresAddress.isURL(queue) {
                let address = try PostgresAddress(url: queue)
                summary = try PostgresImport.run(address, predictions: predictions, model: model, band: band, progress: update)
                place = "\(address)"
            } else {
                summary = try SplinkImporter.run(queue: queue, predictions: predictions, model: model, band: band, progress: update)
                place = queue
            }
            progress?.finish()
            print(ImportReport.text(summary, queue: place, file: predictions))
        }
    }
}

enum ImportReport {
    static func text(_ summary: ImportSummary, queue: String, file: String) -> String {
        var lines = ["\(summary.createdQueue ? "Created" : "Updated") \(queue) from \(file)"]
        lines.append("  \(summary.rows) rows: \(summary.added) pairs added, \(summary.duplicates) already in the queue")
        lines.append("  \(summary.pending) pending review, \(summary.decidedByModel) decided by the model")
        lines.append("  \(summary.newRecords) new records, \(summary.newPatterns) new patterns, \(summary.comparisons) comparisons")
        return lines.joined(separator: "\n")
    }
}
