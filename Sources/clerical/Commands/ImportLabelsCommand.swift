import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore

struct ImportLabelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-labels",
        abstract: "Import a Splink labels table as review decisions.",
        discussion: """
            Reads clerical_match_score (1 match, 0 non-match, anything between unsure), with \
            the labelling tool's extra columns if present. Each label becomes a review decision \
            by --reviewer (default: your account), hash-chained like any other. Labels of pairs \
            the queue does not hold are counted, never invented. One transaction: a bad row \
            names its file, line and column, and the queue is left as it was.
            """)

    @Argument(help: "The queue file, or a queue URL (postgresql://user@host/db?schema=NAME).") var queue: String
    @Argument(help: ArgumentHelp("The labels table, plain or gzip-compressed.", valueName: "LABELS.csv")) var labels: String
    @Option(help: "The reviewer the decisions are recorded under.") var reviewer: String?

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            let summary: LabelImportSummary, recordedAs: String
            if let server = try onServer(queue) {
                defer { server.close() }
                (summary, recordedAs) = try server.importLabels(labels, reviewer: reviewer)
            } else {
                let account = try Identity.current()
                try Reviewers.require(.importLabels, queue: queue, account: account)
                summary = try LabelImport.run(queue: queue, labels: labels, reviewer: reviewer ?? account)
                recordedAs = reviewer ?? account
            }
            print("\(summary.rows) labels read: \(summary.matches) match, \(summary.nonMatches) non-match, \(summary.unsure) unsure "
                  + "recorded as \(recordedAs)'s review decisions; \(summary.notInQueue) not in the queue (skipped)")
        }
    }
}
