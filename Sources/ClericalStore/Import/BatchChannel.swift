import ClericalCore
import Foundation

/// A bounded hand-off between the parser thread and the writer: the parser blocks when the
/// writer is `capacity` batches behind, so memory stays flat however large the file.
final class BatchChannel: @unchecked Sendable {
    enum Message: Sendable {
        case batch(ParsedBatch)
        case failed(ClericalError)
        case finished(LearnedWeights)
    }

    private let condition = NSCondition()
    private var messages: [Message] = []
    private var cancelled = false
    private var parserDone = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full. Returns false when the writer has given up.
    func send(_ message: Message) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while messages.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        messages.append(message)
        condition.broadcast()
        return true
    }

    func receive() -> Message {
        condition.lock()
        defer { condition.unlock() }
        while messages.isEmpty { condition.wait() }
        let message = messages.removeFirst()
        condition.broadcast()
        return message
    }

    /// The writer stops early: wakes the parser so it can end.
    func cancel() {
        condition.lock()
        cancelled = true
        messages.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    func markParserDone() {
        condition.lock()
        parserDone = true
        condition.broadcast()
        condition.unlock()
    }

    func waitForParser() {
        condition.lock()
        while !parserDone { condition.wait() }
        condition.unlock()
    }
}

/// Runs a `RowParser` on its own thread, feeding a channel.
enum ParserThread {
    static func start(_ parser: RowParser, batchSize: Int, channel: BatchChannel) {
        nonisolated(unsafe) var parser = parser  // owned by the thread from here on
        let thread = Thread {
            defer {
                parser.close()
                channel.markParserDone()
            }
            do throws(ClericalError) {
                while let batch = try parser.nextBatch(limit: batchSize) {
                    guard channel.send(.batch(batch)) else { return }
                }
                _ = channel.send(.finished(parser.learned))
            } catch {
                _ = channel.send(.failed(error))
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
