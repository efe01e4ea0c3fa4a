import ClericalCore
import Foundation

/// A streaming RFC 4180 CSV reader over bytes: memory stays flat however large the file, and
/// a gzip-compressed file reads as the text inside it (`InputBytes`).
///
/// Each row's fields live in one reused byte buffer, each followed by a NUL so numbers can be
/// parsed in place. Every field knows its line and column, so errors can name them.
///
///     let reader = try CSVReader(path: "predictions.csv")
///     while try reader.nextRow() {
///         let id = try reader.string(at: 2)
///     }
struct CSVReader {
    let path: String
    let displayName: String
    private let input: InputBytes
    let fileSize: Int64
    /// How far through the file (its stored bytes), for progress against `fileSize`.
    var bytesRead: Int64 { input.bytesConsumed }

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
    /// Set once `validateUTF8()` has passed for this row.
    private(set) var rowIsValidated = false
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
        input = try InputBytes(handle: handle, displayName: self.displayName, chunkSize: Self.chunkSize)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        self.fileSize = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        rowBytes.reserveCapacity(4096)
    }

    func close() { input.close() }

    var fieldCount: Int { fieldStarts.count }

    func location(field index: Int) -> InputLocation {
        InputLocation(file: displayName, line: fieldLines[index], column: fieldColumns[index])
    }

    func rowLocation() -> InputLocation {
        InputLocation(file: displayName, line: rowLine)
    }

    func isEmpty(at index: Int) -> Bool { fieldStarts[index] == fieldEnds[index] }

    /// Calls `body` with the field's bytes (not including the trailing NUL).
    @inline(__always)
    func withBytes<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = fieldStarts[index], end = fieldEnds[index]
        return try rowBytes.withUnsafeBufferPointer { buffer in
            try body(UnsafeBufferPointer(rebasing: buffer[start..<end]))
        }
    }

    /// The field as a String. Call `validateUTF8()` on the row first.
    func string(at index: Int) throws(ClericalError) -> String {
        if rowHasNonASCII && !rowIsValidated {
            var copy = self
            try copy.validateUTF8()
        }
        return withBytes(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Checks the whole row in one pass; invalid UTF-8 is a data error naming line and column.
    mutating func validateUTF8() throws(ClericalError) {
        guard rowHasNonASCII, !rowIsValidated else { return }
        guard let offset = rowBytes.withUnsafeBufferPointer(firstInvalidUTF8Offset) else {
            rowIsValidated = true
            return
        }
        // Fields are NUL-separated, so the offset falls in exactly one field.
        let field = fieldEnds.firstIndex { $0 >= offset } ?? fieldCount - 1
        throw ClericalError(.dataError, "invalid UTF-8 in this field: the file must be UTF-8 text", at: location(field: field))
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

    /// True when the field is a finite decimal number ("-1.5e-3"), checked without parsing it.
    func isNumber(at index: Int) -> Bool {
        withBytes(at: index) { bytes -> Bool in
            var i = 0, digits = 0
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1; digits += 1 }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1; digits += 1 }
            }
            guard digits > 0 else { return false }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
                var exponentDigits = 0
                while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1; exponentDigits += 1 }
                guard exponentDigits > 0, exponentDigits <= 3 else { return false }
            }
            return i == bytes.count
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
    ///
    /// The loop works on local copies of the row arrays (moved out and back, never copied):
    /// stored properties in a hot loop would pay for exclusivity checks on every byte.
    mutating func nextRow() throws(ClericalError) -> Bool {
        var bytes: [UInt8] = [], starts: [Int] = [], ends: [Int] = [], lines: [Int] = [], columns: [Int] = []
        swap(&bytes, &rowBytes); swap(&starts, &fieldStarts); swap(&ends, &fieldEnds)
        swap(&lines, &fieldLines); swap(&columns, &fieldColumns)
        defer {
            swap(&bytes, &rowBytes); swap(&starts, &fieldStarts); swap(&ends, &fieldEnds)
            swap(&lines, &fieldLines); swap(&columns, &fieldColumns)
        }
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        columns.removeAll(keepingCapacity: true)

        rowIsValidated = false
        var line = self.line, column = self.column
        defer { self.line = line; self.column = column }
        var highBits: UInt8 = 0
        var state = FieldState.start
        var quoteLine = 0, quoteColumn = 0
        rowLine = line

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
                        if starts.isEmpty { return false }
                        starts.append(bytes.count); lines.append(line); columns.append(column)
                        ends.append(bytes.count); bytes.append(0)
                    case .unquoted, .quoteInQuoted:
                        ends.append(bytes.count); bytes.append(0)
                    }
                    rowHasNonASCII = highBits & 0x80 != 0
                    return true
                }
            }
            let chunk = self.chunk
            var i = chunkIndex
            let finished: Bool = try chunk.withUnsafeBufferPointer { buffer throws(ClericalError) -> Bool in
                while i < buffer.count {
                    let byte = buffer[i]
                    i += 1
                    highBits |= byte
                    switch state {
                    case .start:
                        switch byte {
                        case UInt8(ascii: "\""):
                            starts.append(bytes.count); lines.append(line); columns.append(column)
                            quoteLine = line; quoteColumn = column
                            state = .quoted
                            column += 1
                        case UInt8(ascii: ","):
                            starts.append(bytes.count); lines.append(line); columns.append(column)
                            ends.append(bytes.count); bytes.append(0)
                            column += 1
                        case UInt8(ascii: "\n"):
                            if starts.isEmpty {  // a blank line
                                line += 1; column = 1; rowLine = line
                                continue
                            }
                            starts.append(bytes.count); lines.append(line); columns.append(column)
                            ends.append(bytes.count); bytes.append(0)
                            line += 1; column = 1
                            return true
                        case UInt8(ascii: "\r"):
                            continue
                        default:
                            // An unquoted field: scan to its delimiter and copy it in one go.
                            starts.append(bytes.count); lines.append(line); columns.append(column)
                            let fieldStart = i - 1
                            if byte & 0xC0 != 0x80 { column += 1 }
                            while i < buffer.count {
                                let next = buffer[i]
                                if next == UInt8(ascii: ",") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") { break }
                                highBits |= next
                                if next & 0xC0 != 0x80 { column += 1 }
                                i += 1
                            }
                            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[fieldStart..<i]))
                            state = .unquoted
                        }
                    case .unquoted:
                        switch byte {
                        case UInt8(ascii: ","):
                            ends.append(bytes.count); bytes.append(0)
                            state = .start
                            column += 1
                        case UInt8(ascii: "\n"):
                            ends.append(bytes.count); bytes.append(0)
                            line += 1; column = 1
                            return true
                        case UInt8(ascii: "\r"):
                            continue
                        default:
                            bytes.append(byte)
                            if byte & 0xC0 != 0x80 { column += 1 }
                        }
                    case .quoted:
                        if byte == UInt8(ascii: "\"") {
                            state = .quoteInQuoted
                            column += 1
                        } else {
                            bytes.append(byte)
                            if byte == UInt8(ascii: "\n") {
                                line += 1; column = 1
                            } else if byte & 0xC0 != 0x80 {
                                column += 1
                            }
                        }
                    case .quoteInQuoted:
                        switch byte {
                        case UInt8(ascii: "\""):
                            bytes.append(byte)  // "" inside quotes is one quote
                            state = .quoted
                            column += 1
                        case UInt8(ascii: ","):
                            ends.append(bytes.count); bytes.append(0)
                            state = .start
                            column += 1
                        case UInt8(ascii: "\n"):
                            ends.append(bytes.count); bytes.append(0)
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
            chunkIndex = i
            if finished {
                rowHasNonASCII = highBits & 0x80 != 0
                return true
            }
        }
    }

    private mutating func fillChunk() throws(ClericalError) -> Bool {
        guard let bytes = try input.read() else {
            atEndOfFile = true
            chunk = []
            chunkIndex = 0
            return false
        }
        chunk = bytes
        chunkIndex = 0
        return true
    }
}
