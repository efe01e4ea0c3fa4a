import ClericalCore
import Foundation

/// A streaming RFC 4180 CSV reader over bytes: memory stays flat however large the file.
///
/// Each row's fields live in one reused byte buffer, each followed by a NUL so numbers can be
/// parsed in place. Every field knows its line and column, so errors can name them.
///
///     let reader = try CSVReader(path: "predictions.csv")
///     while try reader.nextRow() {
///         let id = try reader.string(at: 2)
///     }
final class CSVReader {
    let path: String
    let displayName: String
    private let handle: FileHandle
    let fileSize: Int64
    private(set) var bytesRead: Int64 = 0

    private var chunk: [UInt8] = []
    private var chunkIndex = 0
    private var atEndOfFile = false

    /// The current row: field bytes, each NUL-terminated.
    private(set) var rowBytes: [UInt8] = []
    private(set) var fieldStarts: [Int] = []
    private(set) var fieldEnds: [Int] = []
    private(set) var fieldLines: [Int] = []
    private(set) var fieldColumns: [Int] = []
    /// True when the row holds a byte ≥ 0x80 and so needs UTF-8 validation.
    private(set) var rowHasNonASCII = false
    /// Line on which the current row starts (1-based).
    private(set) var rowLine = 0

    private var line = 1
    private var column = 1

    private static let chunkSize = 1 << 20

    init(path: String, displayName: String? = nil) throws(ClericalError) {
        self.path = path
        self.displayName = displayName ?? path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw ClericalError(.noInput, "\(self.displayName): \(reason)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ClericalError(.noInput, "\(self.displayName): is a directory, not a CSV file")
        }
        self.handle = handle
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        self.fileSize = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        rowBytes.reserveCapacity(4096)
    }

    deinit { try? handle.close() }

    var fieldCount: Int { fieldStarts.count }

    func location(field index: Int) -> InputLocation {
        InputLocation(file: displayName, line: fieldLines[index], column: fieldColumns[index])
    }

    func rowLocation() -> InputLocation {
        InputLocation(file: displayName, line: rowLine)
    }

    func isEmpty(at index: Int) -> Bool { fieldStarts[index] == fieldEnds[index] }

    func byteCount(at index: Int) -> Int { fieldEnds[index] - fieldStarts[index] }

    /// Calls `body` with the field's bytes (not including the trailing NUL).
    @inline(__always)
    func withBytes<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = fieldStarts[index], end = fieldEnds[index]
        return try rowBytes.withUnsafeBufferPointer { buffer in
            try body(UnsafeBufferPointer(rebasing: buffer[start..<end]))
        }
    }

    /// The field as a String; invalid UTF-8 is a data error naming line and column.
    func string(at index: Int) throws(ClericalError) -> String {
        let value: String? = withBytes(at: index) { bytes in
            rowHasNonASCII ? String(validating: bytes, as: UTF8.self) : String(decoding: bytes, as: UTF8.self)
        }
        guard let value else {
            throw ClericalError(.dataError, "invalid UTF-8 in this field: the file must be UTF-8 text", at: location(field: index))
        }
        return value
    }

    /// Checks that every field of the row is valid UTF-8.
    func validateUTF8() throws(ClericalError) {
        guard rowHasNonASCII else { return }
        for index in 0..<fieldCount { _ = try string(at: index) }
    }

    /// Parses the field as a finite Double, or nil when it is not one.
    func double(at index: Int) -> Double? {
        let start = fieldStarts[index], end = fieldEnds[index]
        guard end > start else { return nil }
        return rowBytes.withUnsafeBufferPointer { buffer -> Double? in
            let base = UnsafeRawPointer(buffer.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            var parsedEnd: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(base, &parsedEnd)
            guard let parsedEnd, parsedEnd == UnsafeMutablePointer(mutating: base) + (end - start), value.isFinite else {
                return nil
            }
            return value
        }
    }

    /// Parses the field as a (possibly negative) decimal integer, or nil.
    func integer(at index: Int) -> Int? {
        withBytes(at: index) { bytes -> Int? in
            var i = 0, negative = false, value = 0
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            guard i < bytes.count, bytes.count - i <= 9 else { return nil }
            while i < bytes.count {
                let digit = Int(bytes[i]) - 48
                guard digit >= 0, digit <= 9 else { return nil }
                value = value * 10 + digit
                i += 1
            }
            return negative ? -value : value
        }
    }

    // MARK: - Parsing

    private enum FieldState { case start, unquoted, quoted, quoteInQuoted }

    /// Reads the next row. Returns false at the end of the file. Blank lines are skipped.
    func nextRow() throws(ClericalError) -> Bool {
        rowBytes.removeAll(keepingCapacity: true)
        fieldStarts.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        fieldLines.removeAll(keepingCapacity: true)
        fieldColumns.removeAll(keepingCapacity: true)
        var highBits: UInt8 = 0
        var state = FieldState.start
        var quoteLine = 0, quoteColumn = 0
        rowLine = line

        @inline(__always) func beginField() {
            fieldStarts.append(rowBytes.count)
            fieldLines.append(line)
            fieldColumns.append(column)
        }
        @inline(__always) func endField() {
            fieldEnds.append(rowBytes.count)
            rowBytes.append(0)
        }

        while true {
            if chunkIndex >= chunk.count {
                let filled = atEndOfFile ? false : try fillChunk()
                if !filled {
                    // End of file: finish a row without a final newline.
                    switch state {
                    case .quoted:
                        throw ClericalError(.dataError, "unterminated quoted field: the quote opened here is never closed",
                                            at: InputLocation(file: displayName, line: quoteLine, column: quoteColumn))
                    case .start:
                        if fieldStarts.isEmpty { return false }
                        beginField(); endField()
                    case .unquoted, .quoteInQuoted:
                        endField()
                    }
                    rowHasNonASCII = highBits & 0x80 != 0
                    return true
                }
            }
            let finished: Bool = try chunk.withUnsafeBufferPointer { buffer throws(ClericalError) -> Bool in
                var i = chunkIndex
                defer { chunkIndex = i }
                while i < buffer.count {
                    let byte = buffer[i]
                    i += 1
                    highBits |= byte
                    switch state {
                    case .start:
                        switch byte {
                        case UInt8(ascii: "\""):
                            beginField()
                            quoteLine = line; quoteColumn = column
                            state = .quoted
                            column += 1
                        case UInt8(ascii: ","):
                            beginField(); endField()
                            column += 1
                        case UInt8(ascii: "\n"):
                            line += 1; column = 1
                            if fieldStarts.isEmpty { rowLine = line; continue }  // blank line
                            beginField(); endField()
                            return true
                        case UInt8(ascii: "\r"):
                            continue
                        default:
                            beginField()
                            rowBytes.append(byte)
                            if byte & 0xC0 != 0x80 { column += 1 }
                            state = .unquoted
                        }
                    case .unquoted:
                        switch byte {
                        case UInt8(ascii: ","):
                            endField(); state = .start
                            column += 1
                        case UInt8(ascii: "\n"):
                            endField()
                            line += 1; column = 1
                            return true
                        case UInt8(ascii: "\r"):
                            continue
                        default:
                            rowBytes.append(byte)
                            if byte & 0xC0 != 0x80 { column += 1 }
                        }
                    case .quoted:
                        if byte == UInt8(ascii: "\"") {
                            state = .quoteInQuoted
                            column += 1
                        } else {
                            rowBytes.append(byte)
                            if byte == UInt8(ascii: "\n") {
                                line += 1; column = 1
                            } else if byte & 0xC0 != 0x80 {
                                column += 1
                            }
                        }
                    case .quoteInQuoted:
                        switch byte {
                        case UInt8(ascii: "\""):
                            rowBytes.append(byte)  // "" inside quotes is one quote
                            state = .quoted
                            column += 1
                        case UInt8(ascii: ","):
                            endField(); state = .start
                            column += 1
                        case UInt8(ascii: "\n"):
                            endField()
                            line += 1; column = 1
                            return true
                        case UInt8(ascii: "\r"):
                            continue
                        default:
                            throw ClericalError(.dataError, "unexpected character after a closing quote: a quoted field must be followed by a comma or the end of the line",
                                                at: InputLocation(file: displayName, line: line, column: column))
                        }
                    }
                }
                return false
            }
            if finished {
                rowHasNonASCII = highBits & 0x80 != 0
                return true
            }
        }
    }

    private func fillChunk() throws(ClericalError) -> Bool {
        let data: Data?
        do {
            data = try handle.read(upToCount: Self.chunkSize)
        } catch {
            throw ClericalError(.ioError, "\(displayName): read failed: \(error.localizedDescription)")
        }
        guard let data, !data.isEmpty else {
            atEndOfFile = true
            chunk = []
            chunkIndex = 0
            return false
        }
        bytesRead += Int64(data.count)
        chunk = [UInt8](data)
        chunkIndex = 0
        return true
    }
}
