import ArgumentParser
import ClericalCore
import ClericalTUI
import Foundation

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review pairs in the terminal: m match, n non-match, u unsure, ? for every key.")

    @Argument(help: "The queue file.") var queue: String
    @Option(help: ArgumentHelp("A built-in theme (\(Theme.builtInNames.joined(separator: ", "))) or a theme file.", valueName: "NAME|FILE"))
    var theme: String?
    @Flag(help: "Hide the model's evidence (scores, weights, levels) to avoid anchoring on them.") var blind = false
    @Flag(help: "Quality leads: settle disputed pairs (first and second review disagree); your verdict is final.")
    var adjudicate = false

    func run() throws {
        try Self.review(queue: queue, theme: theme, blind: blind, adjudicate: adjudicate)
    }

    static func review(queue: String, theme: String?, blind: Bool, adjudicate: Bool = false) throws {
        // A command-line tool runs on the main thread, where curses must stay.
        let outcome = MainActor.assumeIsolated { () -> Result<Int32, ClericalError> in
            do throws(ClericalError) {
                return .success(try ReviewRunner.run(queuePath: queue, themeName: theme, blind: blind, adjudicate: adjudicate))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let status):
            if status != 0 { throw ExitCode(status) }  // 128 + the signal that ended the session
        case .failure(let error):
            try reportingErrors { () throws(ClericalError) in throw error }
        }
    }
}
