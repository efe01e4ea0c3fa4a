import ClericalCore

/// JSON text as it was written: a parse that remembers where every value lies, so an export
/// can change a few numbers and leave every other byte (key order, spacing, number spelling)
/// exactly as imported.
indirect enum JSONNode {
    case object([(key: String, value: JSONNode)], Range<Int>)
    case array([JSONNode], Range<Int>)
    case scalar(Range<Int>)

    var range: Range<Int> {
        switch self {
        case let .object(_, range), let .array(_, range), let .scalar(range): return range
        }
    }

    subscript(key: String) -> JSONNode? {
        guard case let .object(members, _) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var elements: [JSONNode] {
        guard case let .array(elements, _) = self else { return [] }
        return elements
    }

    /// Parses `bytes`; nil when they are not one JSON value.
    static func parse(_ bytes: [UInt8]) -> JSONNode? {
        var parser = Parser(bytes: bytes)
        guard let node = parser.value() else { return nil }
        parser.skipSpace()
        return parser.position == bytes.count ? node : nil
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value() -> JSONNode? {
            skipSpace()
            guard position < bytes.count else { return nil }
            let start = position
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [(String, JSONNode)] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object([], start..<position)
                }
                while true {
                    skipSpace()
                    guard let keyRange = string(), let key = String(validating: bytes[keyRange.dropFirst().dropLast()], as: UTF8.self) else { return nil }
                    skipSpace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                    position += 1
                    guard let child = value() else { return nil }
                    members.append((key, child))
                    skipSpace()
                    guard position < bytes.count else { return nil }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    guard bytes[position] == UInt8(ascii: "}") else { return nil }
                    position += 1
                    return .object(members, start..<position)
                }
            case UInt8(ascii: "["):
                position += 1
                var elements: [JSONNode] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array([], start..<position)
                }
                while true {
                    guard let child = value() else { return nil }
                    elements.append(child)
                    skipSpace()
                    guard position < bytes.count else { return nil }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    guard bytes[position] == UInt8(ascii: "]") else { return nil }
                    position += 1
                    return .array(elements, start..<position)
                }
            case UInt8(ascii: "\""):
                return string().map { .scalar($0) }
            default:
                // A number or a literal: everything up to the next delimiter.
                while position < bytes.count, !",}] \t\r\n".utf8.contains(bytes[position]) { position += 1 }
                return position > start ? .scalar(start..<position) : nil
            }
        }

        /// A string token, quotes included.
        mutating func string() -> Range<Int>? {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
            let start = position
            position += 1
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "\\"): position += 2
                case UInt8(ascii: "\""):
                    position += 1
                    return start..<position
                default: position += 1
                }
            }
            return nil
        }
    }
}

enum JSONText {
    /// `bytes` with each range replaced by its text (ranges must not overlap).
    static func replacing(_ bytes: [UInt8], _ replacements: [(Range<Int>, String)]) -> [UInt8] {
        var result = bytes
        for (range, text) in replacements.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            result.replaceSubrange(range, with: Array(text.utf8))
        }
        return result
    }

    /// A number as JSON: Swift's shortest text that reads back as the same Double.
    static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    static func string(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20: text += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    /// A flat JSON object, keys in the given order.
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}
