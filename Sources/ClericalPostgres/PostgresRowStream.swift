import ClericalCore
import ClericalStore
import Foundation
import NIOCore

/// A new queue's records and pairs, streamed to the server by `COPY` as the importer makes them
/// (`ImportRowSink`). Rows are put in COPY's text format on the importer's thread, two
/// megabytes at a time, and sent on a thread of the stream's own, so that the file's parsing
/// and the server's writing overlap. `finish` sends the rest and reports a failed `COPY`;
/// `close` must run before the link is used again, whatever happened.
final class PostgresRowStream: ImportRowSink, @unchecked Sendable {
    private enum Message: Sendable {
        case rows(table: String, columns: [String], text: ByteBuffer)
        case end
    }

    /// Each `COPY` costs a round trip and a statement's start: at 256 KiB a million pairs took
    /// 1,686 of them and the import 6.96 s on loopback, at 2 MiB 6.46 s (8 MiB: no faster, 25 MB more).
    static let defaultPageBytes = 2 << 20
    private static let recordColumns = ["id", "source_dataset", "unique_id", "field_values"]
    private static let pairColumns = ["id", "left_record_id", "right_record_id", "pattern_id", "imported_match_weight",
                                      "imported_match_probability", "match_key", "import_batch_id", "state"]

    private let pageBytes: Int
    private let pages = Handoff<Message>(capacity: 4)
    private let senderEnded = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var sendFailure: ClericalError?
    private var closed = false
    private var records: [UInt8] = [], pairs: [UInt8] = []

    init(_ link: PostgresLink, pageBytes: Int = PostgresRowStream.defaultPageBytes) {
        self.pageBytes = pageBytes
        let sender = Thread { [pages, senderEnded, weak self] in
            defer { senderEnded.signal() }
            while case .rows(let table, let columns, let text) = pages.receive() {
                do throws(ClericalError) {
                    try link.copy(into: table, columns: columns, text)
                } catch {
                    self?.failed(error)
                    pages.cancel()  // the importer's next send fails, and it stops
                    return
                }
            }
        }
        sender.start()
    }

    func record(id: Int64, dataset: UnsafeBufferPointer<UInt8>?, uniqueID: UnsafeBufferPointer<UInt8>,
                values: UnsafeBufferPointer<UInt8>) throws(ClericalError) {
        records += String(id).utf8
        records.append(UInt8(ascii: "\t"))
        // A dedupe job's records have no dataset: stored as the empty text, as in a file.
        if let dataset { PostgresQueueTables.appendEscaped(dataset, to: &records) }
        records.append(UInt8(ascii: "\t"))
        PostgresQueueTables.appendEscaped(uniqueID, to: &records)
        records.append(UInt8(ascii: "\t"))
        PostgresQueueTables.appendEscaped(values, to: &records)
        records.append(UInt8(ascii: "\n"))
        if records.count >= pageBytes { try flush(&records, into: "record", Self.recordColumns) }
    }

    func pair(id: Int64, left: Int64, right: Int64, pattern: Int64, weight: Double, probability: Double,
              matchKey: UnsafeBufferPointer<UInt8>?, batch: Int64) throws(ClericalError) {
        for number in [id, left, right, pattern] {
            pairs += String(number).utf8
            pairs.append(UInt8(ascii: "\t"))
        }
        PostgresQueueTables.append(.real(weight), kind: .real, to: &pairs)
        pairs.append(UInt8(ascii: "\t"))
        PostgresQueueTables.append(.real(probability), kind: .real, to: &pairs)
        pairs.append(UInt8(ascii: "\t"))
        if let matchKey { PostgresQueueTables.appendEscaped(matchKey, to: &pairs) } else { pairs += "\\N".utf8 }
        pairs.append(UInt8(ascii: "\t"))
        pairs += String(batch).utf8
        pairs += "\tpending\n".utf8
        if pairs.count >= pageBytes { try flush(&pairs, into: "pair", Self.pairColumns) }
    }

    /// Sends what is left and waits until the server has taken every row.
    func finish() throws(ClericalError) {
        try flush(&records, into: "record", Self.recordColumns)
        try flush(&pairs, into: "pair", Self.pairColumns)
        close()
        if let failure = failure() { throw failure }
    }

    /// Ends the sender thread (after the rows already handed over) and waits for it.
    func close() {
        guard !closed else { return }
        closed = true
        _ = pages.send(.end)
        senderEnded.wait()
    }

    private func flush(_ text: inout [UInt8], into table: String, _ columns: [String]) throws(ClericalError) {
        guard !text.isEmpty else { return }
        let page = ByteBuffer(bytes: text)
        text.removeAll(keepingCapacity: true)
        guard pages.send(.rows(table: table, columns: columns, text: page)) else {
            throw failure() ?? ClericalError(.ioError, "the rows could not be sent to the server")
        }
    }

    private func failed(_ error: ClericalError) {
        lock.lock()
        sendFailure = error
        lock.unlock()
    }

    private func failure() -> ClericalError? {
        lock.lock()
        defer { lock.unlock() }
        return sendFailure
    }
}
