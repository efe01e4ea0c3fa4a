import Dispatch

/// Work started on another thread now and waited for later: what a keypress does on the
/// second core while its commit waits for the disk (`ReviewQueue.decideAndClaimNext`).
final class WorkAlongside {
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> Void) {
        DispatchQueue.global(qos: .userInteractive).async { [done] in
            work()
            done.signal()
        }
    }

    /// Returns once the work has finished. Call it once.
    func wait() {
        done.wait()
    }
}
