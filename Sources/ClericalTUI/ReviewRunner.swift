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
            switch terminal.nextInput() {
            case .key(.resize):
                let size = terminal.size
                loop.handle(.resize(width: size.width, height: size.height))
                drawn = nil
            case .key(let key):
                loop.handle(.key(key))
            case .idle:
                break
            case let gone:
                // A signal or the terminal gone: the pair in hand goes back to the queue.
                _ = loop.session.perform(.quit(releasing: loop.state.live?.id))
                return gone.exitStatus ?? 129
            }
            if let live = loop.state.live, Date().timeIntervalSince(lastRenewal) > queue.leaseSeconds / 4 {
                loop.session.renew(live.id)
                lastRenewal = Date()
            }
        }
    }
}
