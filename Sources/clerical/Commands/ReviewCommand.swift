import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalTUI
import Foundation

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review pairs in the terminal: m match, n non-match, u unsure, ? for every key.")

    @Argument(help: "The queue file, or a queue URL (postgresql://user@host/db?schema=NAME).") var queue: String
    @Option(help: ArgumentHelp("A built-in theme (\(Theme.builtInNames.joined(separator: ", "))) or a theme file.", valueName: "NAME|FILE"))
    var theme: String?
    @Flag(help: "Hide the model's evidence (scores, weights, levels) to avoid anchoring on them.") var blind = false
    @Flag(help: "Mask values: show only the characters that differ; r and R reveal a row or the pair, and every reveal is logged.")
    var mask = false
    @Flag(help: "One record at a time with all its pending candidates: 1–9 the match, n none, then Enter (the others are non-matches) or k (they stay undecided).")
    var byRecord = false
    @Flag(help: "Quality leads: settle disputed pairs (first and second review disagree); your verdict is final.")
    var adjudicate = false

    func run() throws {
        try Self.review(queue: queue, theme: theme, blind: blind, masked: mask, byRecord: byRecord, adjudicate: adjudicate)
    }

    static func review(queue: String, theme: String?, blind: Bool, masked: Bool = false, byRecord: Bool = false, adjudicate: Bool = false) throws {
        var summary: ReviewSummary?
        defer {
            // After the screen has ended; not on a hang-up, with nobody left to read it.
            if let summary { print(ReviewSummaryText.line(summary)) }
        }
        try runningScreen { () throws(ClericalError) in
            let run = PostgresAddress.isURL(queue)
                ? try onServer(queue, theme: theme, blind: blind, masked: masked, byRecord: byRecord, adjudicate: adjudicate)
                : try ReviewRunner.run(queuePath: queue, themeName: theme, blind: blind, masked: masked, byRecord: byRecord, adjudicate: adjudicate)
            if run.status != 129 { summary = run.summary }
            return run.status
        }
    }

    /// On a server, as the database role that logs in (who must be a reviewer).
    @MainActor
    private static func onServer(_ url: String, theme: String?, blind: Bool, masked: Bool, byRecord: Bool, adjudicate: Bool)
        throws(ClericalError) -> (status: Int32, summary: ReviewSummary) {
        let work = try PostgresReviewWork(url: url, adjudicate: adjudicate)
        defer { work.close() }
        return try ReviewRunner.run(server: work, name: work.name, themeName: theme, blind: blind, masked: masked || work.masksByDefault,
                                    byRecord: byRecord, adjudicate: adjudicate) { notify in work.onReconnecting = notify }
    }
}
