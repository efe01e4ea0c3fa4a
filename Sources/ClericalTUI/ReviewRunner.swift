import ClericalCore
import ClericalStore
import Foundation

/// The review screen's main loop: keys in, update, commands against the queue, and a draw
/// only after every write of the keypress has committed.
@MainActor
public enum ReviewRunner {
    /// Runs until the reviewer quits (exit status 0) or a signal arrives (128 + signal).
    public static func run(queuePath: String, themeName: String?, blind: Bool, adjudicate: Bool = false) throws(ClericalError) -> Int32 {
        let initialTheme = themeName ?? Theme.startingName
        var theme = try Theme.load(initialTheme)
        let account = try Identity.current()
        try Reviewers.require(adjudicate ? .adjudicate : .review, queue: queuePath, account: account)
        let queue = try ReviewQueue(path: queuePath, reviewer: account, mode: adjudicate ? .adjudicate : .review)
        defer { queue.close() }
        let terminal = try CursesTerminal(theme: theme)
        defer { terminal.end() }

        let size = terminal.size
        let loop = ReviewLoop(state: ReviewState(queueName: URL(fileURLWithPath: queuePath).lastPathComponent, reviewer: queue.reviewer,
                                                 width: size.width, height: size.height, blind: blind, themeName: theme.name),
                              session: ReviewSession(queue: queue))
        loop.start()
        var drawn: ReviewState?
        var lastRenewal = Date()
        while true {
            if loop.state.themeName != theme.name, let next = try? Theme.load(loop.state.themeName) {
                theme = next
                terminal.setTheme(theme)
                drawn = nil
            }
            if drawn != loop.state {
                terminal.draw(loop.frame())
                drawn = loop.state
            }
            if loop.state.quitting { return 0 }
            let signal = terminal.takeSignal()
            if signal != 0 {
                _ = loop.session.perform(.quit(releasing: loop.state.live?.id))
                return 128 + signal
            }
            if let key = terminal.readKey() {
                if key == .resize {
                    let size = terminal.size
                    loop.handle(.resize(width: size.width, height: size.height))
                    drawn = nil
                } else {
                    loop.handle(.key(key))
                }
            }
            if let live = loop.state.live, Date().timeIntervalSince(lastRenewal) > queue.leaseSeconds / 4 {
                loop.session.renew(live.id)
                lastRenewal = Date()
            }
        }
    }
}
