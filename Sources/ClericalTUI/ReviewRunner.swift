import ClericalCore
import ClericalStore
import Foundation

/// `clerical review` and `clerical adjudicate`: the review screen on the screen runtime.
@MainActor
public enum ReviewRunner {
    /// Runs until the reviewer quits (exit status 0), a signal arrives (128 + signal) or the
    /// terminal goes away (129); the pair in hand goes back to the queue on every way out.
    /// Returns the status and what the session did. Masked when asked (`masked`) or when the
    /// queue masks by default; `byRecord`: one record at a time with all its pending candidates.
    public static func run(queuePath: String, themeName: String?, blind: Bool, masked: Bool = false, byRecord: Bool = false,
                           adjudicate: Bool = false)
        throws(ClericalError) -> (status: Int32, summary: ReviewSummary) {
        let theme = try Theme.load(themeName ?? Theme.startingName)
        let account = try Identity.current()
        try Reviewers.require(adjudicate ? .adjudicate : .review, queue: queuePath, account: account)
        let masks = try masked ? true : Reviewers.masksByDefault(queue: queuePath)
        try checkByRecord(byRecord, masked: masks, adjudicate: adjudicate)
        let queue = try ReviewQueue(path: queuePath, reviewer: account, mode: adjudicate ? .adjudicate : .review)
        defer { queue.close() }
        return try run(queue, name: URL(fileURLWithPath: queuePath).lastPathComponent, theme: theme, blind: blind,
                       masked: masks, byRecord: byRecord)
    }

    /// `clerical review URL`: a queue on a server, opened by the caller as its session role
    /// (`work`; the caller closes it; `adjudicate` says how). `watchConnection` is handed the
    /// call to make each time the connection is lost and tried again (the attempt, from 1): the
    /// screen then says it is reconnecting until the work in flight is done.
    public static func run(server work: any ReviewWork, name: String, themeName: String?, blind: Bool, masked: Bool,
                           byRecord: Bool, adjudicate: Bool, watchConnection: (@escaping (Int) -> Void) -> Void)
        throws(ClericalError) -> (status: Int32, summary: ReviewSummary) {
        let theme = try Theme.load(themeName ?? Theme.startingName)
        try checkByRecord(byRecord, masked: masked, adjudicate: adjudicate)
        return try run(work, name: name, theme: theme, blind: blind, masked: masked, byRecord: byRecord, watchConnection: watchConnection)
    }

    /// One record against many candidates has no pair to mask against, nor a dispute to settle.
    private static func checkByRecord(_ byRecord: Bool, masked: Bool, adjudicate: Bool) throws(ClericalError) {
        guard byRecord && (masked || adjudicate) else { return }
        throw ClericalError(.usage, masked ? "--by-record cannot be masked (the queue masks by default, or --mask was given): review pair by pair"
                                           : "--by-record and --adjudicate cannot be combined: disputes are settled pair by pair")
    }

    private static func run(_ queue: any ReviewWork, name: String, theme: Theme, blind: Bool, masked: Bool, byRecord: Bool,
                            watchConnection: (@escaping (Int) -> Void) -> Void = { _ in })
        throws(ClericalError) -> (status: Int32, summary: ReviewSummary) {
        let terminal = try CursesTerminal(theme: theme)
        defer { terminal.end() }
        let size = terminal.size
        var state = ReviewState(queueName: name, reviewer: queue.reviewer,
                                width: size.width, height: size.height, blind: blind, themeName: theme.name)
        state.masked = masked
        state.byRecord = byRecord
        let session = ReviewSession(queue: queue)
        let loop = ScreenLoop(ReviewApp.self, state: state, session: session)
        watchConnection { attempt in
            // Called on this thread, inside the call that lost its connection.
            MainActor.assumeIsolated {
                var shown = loop.state
                shown.message = StatusMessage(text: "Connection to the server lost: reconnecting (attempt \(attempt))…", role: .warning)
                terminal.draw(ReviewApp.render(shown))
            }
        }
        let status = ScreenRunner.run(loop, on: terminal, theme: theme)
        return (status, session.summary())
    }
}
