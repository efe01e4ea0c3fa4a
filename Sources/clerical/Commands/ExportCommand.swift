import ArgumentParser
import ClericalCore
import ClericalStore
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the queue's labels, model or decisions for other tools.",
        subcommands: [Labels.self, Model.self, Decisions.self])

    struct Labels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Splink's labels table (register_labels_table): final verdicts, match 1.0, non-match 0.0.")

        @Argument(help: "The queue file.") var queue: String
        @Argument(help: "The CSV file to write.") var output: String
        @Flag(help: "Write unsure verdicts too, as 0.5.") var includeUnsure = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                try Reviewers.require(.export, queue: queue, account: try Identity.current())
                report(try Exports.labels(queue: queue, to: output, includeUnsure: includeUnsure), what: "labels")
            }
        }
    }

    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The imported Splink model JSON with re-estimated m; every other key as imported.",
            discussion: """
                u and λ estimated over a queue are conditional on being a candidate pair; they \
                are not Splink's random-pair u and λ, so they are written only when asked.
                """)

        @Argument(help: "The queue file.") var queue: String
        @Argument(help: "The JSON file to write.") var output: String
        @Flag(help: "Write the re-estimated u as well (candidate-pair u).") var includeU = false
        @Flag(help: "Write the re-estimated λ as probability_two_random_records_match.") var includeLambda = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                try Reviewers.require(.export, queue: queue, account: try Identity.current())
                report(try Exports.model(queue: queue, to: output, includeU: includeU, includeLambda: includeLambda),
                       what: "comparisons")
            }
        }
    }

    struct Decisions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every decision row: pair, reviewer, kind, verdict, note, time, and the score shown.",
            discussion: "The format follows the file name: .csv or .jsonl. Undo rows have no verdict.")

        @Argument(help: "The queue file.") var queue: String
        @Argument(help: "The .csv or .jsonl file to write.") var output: String

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                try Reviewers.require(.export, queue: queue, account: try Identity.current())
                report(try Exports.decisions(queue: queue, to: output), what: "decisions")
            }
        }
    }
}

private func report(_ summary: ExportSummary, what: String) {
    print("Wrote \(summary.rows) \(what) to \(summary.path)" + (summary.note.map { " (\($0))" } ?? ""))
}
