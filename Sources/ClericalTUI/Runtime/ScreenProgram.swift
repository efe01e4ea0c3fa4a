import Foundation

/// What reaches every screen from outside, as cases of its event type: keys, a new size, the
/// clock, and the terminal going away.
public protocol ScreenEvent: Equatable, Sendable {
    static func key(_ key: Key) -> Self
    static func resize(width: Int, height: Int) -> Self
    /// The screen's periodic work is due (`ScreenSession.tickSeconds`): renew a lease, refresh.
    static var tick: Self { get }
    /// A hang-up, a failed read, end of file, or a signal: hand back what is held and leave
    /// with this status.
    static func terminalGone(exitStatus: Int32) -> Self
}

/// A screen as the runtime runs it: state, a pure `update` from events to the commands it asks
/// for, and a pure `render`. The review screen (with its note editor, help and adjudication) and
/// the dashboard are both one of these.
public protocol ScreenProgram {
    associatedtype State: Equatable & Sendable
    associatedtype Event: ScreenEvent
    associatedtype Command: Sendable

    /// What the screen asks for when it opens (the first pair, the first figures).
    static func start(_ state: State) -> [Command]
    /// The state after `event`, and the commands it asks for. Pure.
    static func update(_ state: inout State, _ event: Event) -> [Command]
    /// The frame for `state`. Pure.
    static func render(_ state: State) -> ScreenBuffer
    /// Set once the screen is done: its exit status.
    static func exitStatus(_ state: State) -> Int32?
    /// The colour theme the state asks for, if it chooses one.
    static func themeName(_ state: State) -> String?
}

extension ScreenProgram {
    public static func themeName(_ state: State) -> String? { nil }
}

/// Performs a program's commands (against the queue) and turns each result into an event.
/// Every write has committed by the time its event is returned.
public protocol ScreenSession<Command, Event>: AnyObject {
    associatedtype Command
    associatedtype Event

    /// Performs `command`, returning its event, or nil when it has none.
    ///
    /// `whileCommitting`, when the command writes, gets the event it will produce, on another
    /// thread, while the commit waits for the disk: the runtime draws the next frame there.
    /// Only the returned event counts.
    func perform(_ command: Command, whileCommitting: (@Sendable (Event) -> Void)?) -> Event?

    /// How often the screen's periodic work is due.
    var tickSeconds: Double { get }
}
