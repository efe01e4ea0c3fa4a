import ArgumentParser
import ClericalCore
import ClericalStore
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the queue's labels, model or decisions for other tools.",
        subcommands: [Labels.self, Model.self, Decisions.self, Links.self])

    struct Links: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The linked output: every pair decided as a match, by a reviewer or by the model.",
            discussion: """
                One row per link: ids (and source datasets for a link job), match probability, \
                decided_by (the reviewer, or model) and the decision's kind. A reviewer's final \
                match or non-match stands; elsewhere the current model decides at probability 0.5. \
                --clusters writes every record with the connected component of the links it is \
                in (cluster_id, source_dataset, unique_id, as Splink's clustering writes them).
                """)

        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "The CSV file to write.") var output: String
        @Flag(help: "Write every record with its cluster id instead of the links.") var clusters = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                report(try export(.links(clusters: clusters), from: queue, to: output), what: clusters ? "records" : "links")
            }
        }
    }

    struct Labels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Splink's labels table (register_labels_table): final verdicts, match 1.0, non-match 0.0.")

        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "The CSV file to write.") var output: String
        @Flag(help: "Write unsure verdicts too, as 0.5.") var includeUnsure = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                report(try export(.labels(includeUnsure: includeUnsure), from: queue, to: output), what: "labels")
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

        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "The JSON file to write.") var output: String
        @Flag(help: "Write the re-estimated u as well (candidate-pair u).") var includeU = false
        @Flag(help: "Write the re-estimated λ as probability_two_random_records_match.") var includeLambda = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                report(try export(.model(includeU: includeU, includeLambda: includeLambda), from: queue, to: output),
                       what: "comparisons")
            }
        }
    }

    struct Decisions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every decision row: pair, reviewer, kind, verdict, note, time, and the score shown.",
            discussion: "The format follows the file name: .csv or .jsonl. Undo rows have no verdict.")

        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "The .csv or .jsonl file to write.") var output: String

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                let format = try Exports.DecisionFormat(path: output)
                report(try export(.decisions(format), from: queue, to: output), what: "decisions")
            }
        }
    }
}

/// Reads `what` from the queue (a file or a server's schema) in one snapshot, for an account
/// that may export, and writes it to `output` atomically.
private func export(_ what: QueueExport, from queue: String, to output: String) throws(ClericalError) -> ExportSummary {
    let handle = try openQueueWatch(queue)
    defer { handle.close() }
    try handle.require(.export)
    return try Exports.write(try handle.export(what), to: output)
}

private func report(_ summary: ExportSummary, what: String) {
    print("Wrote \(summary.rows) \(what) to \(summary.path)" + (summary.note.map { " (\($0))" } ?? ""))
}
