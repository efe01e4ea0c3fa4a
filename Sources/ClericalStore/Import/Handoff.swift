import ClericalCore
import Foundation

/// A bounded hand-off between a producing thread and the thread that writes what it makes: the
/// producer blocks when the writer is `capacity` messages behind, so memory stays flat however
/// large the input. The import's parser feeds its writer through one (`BatchChannel`), and
/// `clerical copy` reads a queue file's pages on one thread while the other sends them.
package final class Handoff<Message: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var messages: [Message] = []
    private var cancelled = false
    private var producerDone = false
    private let capacity: Int

    package init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full. Returns false when the writer has given up.
    package func send(_ message: Message) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while messages.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        messages.append(message)
        condition.broadcast()
        return true
    }

    package func receive() -> Message {
        condition.lock()
        defer { condition.unlock() }
        while messages.isEmpty { condition.wait() }
        let message = messages.removeFirst()
        condition.broadcast()
        return message
    }

    /// The writer stops early: wakes the producer so it can end.
    package func cancel() {
        condition.lock()
        cancelled = true
        messages.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    package func markProducerDone() {
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }

    package func waitForProducer() {
        condition.lock()
        while !producerDone { condition.wait() }
        condition.unlock()
    }
}
