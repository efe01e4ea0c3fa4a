import ClericalCore
import Foundation

/// The one terminal loop: input from curses into the screen's loop, a frame out whenever the
/// state changed, a tick whenever the session's periodic work is due.
@MainActor
public enum ScreenRunner {
    /// Runs until the program sets its exit status: 0 when the user quits, 128 + the signal,
    /// 129 when the terminal has gone away. Never spins: `nextInput` waits in `poll`.
    public static func run<Program, Session>(_ loop: ScreenLoop<Program, Session>, on terminal: CursesTerminal,
                                             theme startingTheme: Theme) -> Int32 {
        var theme = startingTheme
        var drawn: Program.State?
        var lastTick = Date()
        loop.start()
        while true {
            if let name = Program.themeName(loop.state), name != theme.name, let next = try? Theme.load(name) {
                theme = next
                terminal.setTheme(theme)
                drawn = nil
            }
            if let status = loop.exitStatus { return status }
            if drawn != loop.state {
                terminal.draw(loop.frame())
                drawn = loop.state
            }
            let input = terminal.nextInput()
            switch input {
            case .key(.resize):
                let size = terminal.size
                loop.handle(.resize(width: size.width, height: size.height))
                drawn = nil
            case let .key(key):
                loop.handle(.key(key))
            case .idle:
                break
            case .signal, .hangUp:
                let status = input.exitStatus ?? 129
                loop.handle(.terminalGone(exitStatus: status))
                return loop.exitStatus ?? status
            }
            if Date().timeIntervalSince(lastTick) >= loop.session.tickSeconds {
                loop.handle(.tick)
                lastTick = Date()
            }
        }
    }
}
