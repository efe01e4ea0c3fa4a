import ClericalCore
import ClericalStore
import Foundation

/// `clerical review` and `clerical adjudicate`: the review screen on the screen runtime.
@MainActor
public enum ReviewRunner {
    /// Runs until the reviewer quits (exit status 0), a signal arrives (128 + signal) or the
    /// terminal goes away (129); the pair in hand goes back to the queue on every way out.
    /// Returns the status and what the session did.
    /// Masked when asked (`masked`) or when the queue masks by default.
    public static func run(queuePath: String, themeName: String?, blind: Bool, masked: Bool = false, adjudicate: Bool = false)
        throws(ClericalError) -> (status: Int32, summary: ReviewSummary) {
        let theme = try Theme.load(themeName ?? Theme.startingName)
        let account = try Identity.current()
        try Reviewers.require(adjudicate ? .adjudicate : .review, queue: queuePath, account: account)
        let queue = try ReviewQueue(path: queuePath, reviewer: account, mode: adjudicate ? .adjudicate : .review)
        defer { queue.close() }
        let terminal = try CursesTerminal(theme: theme)
        defer { terminal.end() }
        let size = terminal.size
        let masks = try masked ? true : Reviewers.masksByDefault(queue: queuePath)
        var state = ReviewState(queueName: URL(fileURLWithPath: queuePath).lastPathComponent, reviewer: queue.reviewer,
                                width: size.width, height: size.height, blind: blind, themeName: theme.name)
        state.masked = masks
        let session = ReviewSession(queue: queue)
        let status = ScreenRunner.run(ScreenLoop(ReviewApp.self, state: state, session: session), on: terminal, theme: theme)
        return (status, session.summary())
    }
}
