import ClericalCore
import ClericalStore
import Foundation

/// The review screen without the terminal: its state, and the round of an event → `update` →
/// commands the session performs → their events, until nothing is left to do.
/// `ReviewRunner` feeds it keys from curses; the latency benchmark and the tests feed it directly.
///
/// A verdict's commit waits for the disk. Meanwhile the other core applies the event the verdict
/// will produce to a copy of the state and draws that state's frame. Once the commit has returned,
/// if the session's event is that same event, the copy is the new state (`update` is pure and
/// the state has not changed since the copy), and its frame is this state's frame (so is
/// `render`). Otherwise the event goes through `update` as any other. Either way the screen shows
/// nothing that is not on disk: the frame is only handed out after the commit.
public final class ReviewLoop {
    public private(set) var state: ReviewState {
        didSet { frameDrawnAhead = nil }
    }
    public let session: ReviewSession
    /// The current state's frame, when it was drawn while its commit waited.
    private var frameDrawnAhead: ScreenBuffer?
    /// Verdicts whose frame was drawn while the commit waited.
    public private(set) var framesDrawnAhead = 0

    public init(state: ReviewState, session: ReviewSession) {
        self.state = state
        self.session = session
    }

    /// Opens the session: the reviewer's first pair.
    public func start() {
        handle(session.start())
    }

    public func handle(_ event: ReviewEvent) {
        for command in ReviewApp.update(&state, event) {
            guard case .decide = command else {
                if let result = session.perform(command) { handle(result) }
                continue
            }
            let before = state, ahead = DrawnAhead()
            let result = session.perform(command) { outcome in
                var after = before
                // An event that asks for nothing more leaves the final state: draw it.
                if ReviewApp.update(&after, outcome).isEmpty { ahead.keep(after, ReviewView.render(after), from: outcome) }
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
        frameDrawnAhead ?? ReviewView.render(state)
    }
}

/// A state and its frame, drawn from an event on another thread while a commit waited; taken on
/// the loop's thread once the commit has returned.
final class DrawnAhead: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private var kept: (event: ReviewEvent, state: ReviewState, frame: ScreenBuffer)?

    func keep(_ state: ReviewState, _ frame: ScreenBuffer, from event: ReviewEvent) {
        lock.withLock { kept = (event, state, frame) }
    }

    /// What was drawn from `event`, if anything was.
    func take(for event: ReviewEvent) -> (state: ReviewState, frame: ScreenBuffer)? {
        lock.withLock {
            guard let kept, kept.event == event else { return nil }
            return (kept.state, kept.frame)
        }
    }
}
