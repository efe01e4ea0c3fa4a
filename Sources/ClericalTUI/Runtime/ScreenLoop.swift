import Foundation

/// A screen without the terminal: its state, and the round of an event → `update` → commands
/// the session performs → their events, until nothing is left to do. `ScreenRunner` feeds it
/// from curses; the latency benchmark and the tests feed it directly.
///
/// A write (a verdict) waits for the disk. Meanwhile the other core applies the event the write
/// will produce to a copy of the state and draws that state's frame. Once the commit has
/// returned, if the session's event is that same event, the copy is the new state (`update` is
/// pure and the state has not changed since the copy), and its frame is this state's frame (so
/// is `render`). Otherwise the event goes through `update` as any other. Either way the screen
/// shows nothing that is not on disk: the frame is only handed out after the commit.
/// (Benchmarks/README.md: alternating verdicts with and without it, median 0.830 against 0.845 ms.)
public final class ScreenLoop<Program: ScreenProgram, Session: ScreenSession>
where Session.Command == Program.Command, Session.Event == Program.Event {
    public private(set) var state: Program.State {
        didSet { frameDrawnAhead = nil }
    }
    public let session: Session
    /// The current state's frame, when it was drawn while its commit waited.
    private var frameDrawnAhead: ScreenBuffer?
    /// Writes whose frame was drawn while the commit waited.
    public private(set) var framesDrawnAhead = 0

    public init(_ program: Program.Type, state: Program.State, session: Session) {
        self.state = state
        self.session = session
    }

    /// Opens the screen: performs what it asks for first.
    public func start() {
        perform(Program.start(state))
    }

    public func handle(_ event: Program.Event) {
        perform(Program.update(&state, event))
    }

    private func perform(_ commands: [Program.Command]) {
        for command in commands {
            let before = state, ahead = DrawnAhead<Program>()
            let result = session.perform(command) { outcome in
                var after = before
                // An event that asks for nothing more leaves the final state: draw it.
                if Program.update(&after, outcome).isEmpty { ahead.keep(after, Program.render(after), from: outcome) }
            }
            guard let result else { continue }
            if let drawn = ahead.take(for: result) {
                state = drawn.state
                frameDrawnAhead = drawn.frame
                framesDrawnAhead += 1
            } else {
                handle(result)
            }
        }
    }

    /// The screen for the current state.
    public func frame() -> ScreenBuffer {
        frameDrawnAhead ?? Program.render(state)
    }

    /// The screen's exit status, once it is done.
    public var exitStatus: Int32? { Program.exitStatus(state) }
}

/// A state and its frame, drawn from an event on another thread while a commit waited; taken on
/// the loop's thread once the commit has returned.
final class DrawnAhead<Program: ScreenProgram>: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private var kept: (event: Program.Event, state: Program.State, frame: ScreenBuffer)?

    func keep(_ state: Program.State, _ frame: ScreenBuffer, from event: Program.Event) {
        lock.withLock { kept = (event, state, frame) }
    }

    /// What was drawn from `event`, if anything was.
    func take(for event: Program.Event) -> (state: Program.State, frame: ScreenBuffer)? {
        lock.withLock {
            guard let kept, kept.event == event else { return nil }
            return (kept.state, kept.frame)
        }
    }
}
