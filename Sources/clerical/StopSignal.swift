import Foundation

/// SIGINT, SIGTERM or SIGHUP asks a command that runs until stopped to finish the step it is
/// in and exit cleanly (`reestimate URL --every N`).
final class StopSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)  // delivered to the source below instead
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.stop() }
            source.resume()
            sources.append(source)
        }
    }

    var requested: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    /// Waits `seconds`, or less if a stop comes first.
    func wait(seconds: Double) {
        condition.lock()
        if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
        condition.unlock()
    }

    private func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
