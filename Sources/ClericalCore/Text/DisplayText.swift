import Foundation

/// Text as a terminal cell grid sees it: NFC, safe, and measured in cells.
public enum DisplayText {
    /// Makes a record value safe to draw and fair to compare: NFC-normalised, with every
    /// control character (C0, DEL, C1), escape sequence introducer and bidirectional
    /// override replaced by a visible placeholder, so no value can drive the terminal.
    ///
    ///     DisplayText.sanitized("Zoe\u{308}\u{1B}]0;pwned\u{7}")  // "Zoë␛]0;pwned␇"
    public static func sanitized(_ value: String) -> String {
        // Fast path: text of simple scalars is already safe and in NFC.
        if value.unicodeScalars.allSatisfy(isSimple) { return value }
        var result = String.UnicodeScalarView()
        // The standard library's own NFC (public, if underscored): Foundation's
        // precomposedStringWithCanonicalMapping bridges through CFString and costs several
        // times more, on every value of every pair drawn.
        let normalized = String(decoding: value._nfcCodeUnits, as: UTF8.self)
        for scalar in normalized.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1F:
                result.append(Unicode.Scalar(0x2400 + scalar.value)!)  // Control Pictures: ␀ ␉ ␊ ␛ …
            case 0x7F:
                result.append("\u{2421}")  // ␡
            case 0x80...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C:
                result.append("\u{FFFD}")  // C1 controls and bidi overrides: �
            default:
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Cells a character takes: 0 for combining marks and format characters, 2 for East Asian
    /// wide and fullwidth characters and emoji presentation, 1 otherwise.
    public static func width(of character: Character) -> Int {
        if let ascii = character.asciiValue { return ascii >= 0x20 && ascii < 0x7F ? 1 : 0 }
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if scalars.count == 1, isSimple(first) { return 1 }
        if character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) { return 2 }  // emoji presentation
        return width(of: first)
    }

    public static func width(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value >= 0x20 && value < 0x7F { return 1 }
        if value == 0 { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if value >= 0x1160 && value <= 0x11FF { return 0 }  // Hangul medial vowels and final consonants
        return isWide(value) ? 2 : 1
    }

    /// Cells the whole string takes.
    public static func width(_ text: String) -> Int {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
        if text.unicodeScalars.allSatisfy(isSimple) { return text.unicodeScalars.count }
        return text.reduce(0) { $0 + width(of: $1) }
    }

    /// A scalar that is a whole grapheme on its own, takes one cell, and that NFC and
    /// `sanitized` leave as it is: printable ASCII and Latin-1 up to the combining marks,
    /// general punctuation (dashes, quotes, "…"), arrows, mathematical operators ("≥", "≠"),
    /// box drawing, blocks and geometric shapes, and "⟨⟩". Text made only of these needs no
    /// grapheme breaking, normalising or width tables: nearly every label, rule and bar the
    /// screens draw. (No mark, joiner, selector, control, Hangul jamo, regional indicator or
    /// wide character is among them; a test checks each one against the slow path.)
    @inline(__always)
    public static func isSimple(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20...0x7E, 0xA0...0x2FF, 0x2010...0x2027, 0x2190...0x22FF, 0x2500...0x25FC, 0x27E8...0x27E9: return true
        default: return false
        }
    }

    /// East Asian Wide (W) and Fullwidth (F) ranges, and emoji that default to emoji presentation.
    static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
             0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB,
             0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA,
             0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757,
             0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C, 0x2B50, 0x2B55,
             0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF,
             0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F,
             0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF,
             0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// The longest prefix of `text` that fits in `cells`, ending with "…" when cut.
    public static func truncated(_ text: String, toWidth cells: Int) -> String {
        guard cells > 0 else { return "" }
        guard width(text) > cells else { return text }
        var result = "", used = 0
        for character in text {
            let w = width(of: character)
            if used + w > cells - 1 { break }
            result.append(character)
            used += w
        }
        return result + "…"
    }
}

/// Which characters of two values differ, by a longest-common-subsequence alignment of
/// their characters: what the reviewer's eye should go to.
public enum TextDifference {
    /// For each character of `left` and of `right`, true when it is not part of the common
    /// subsequence. Equal strings give all false, and so do values with less than half their
    /// characters in common: there the differences are the whole value, and marks are noise.
    ///
    ///     TextDifference.marks("Siobhán", "Siobhan")  // the "á" and the "a" are marked
    public static func marks(_ left: String, _ right: String) -> (left: [Bool], right: [Bool]) {
        let (marks, common) = align(Array(left), Array(right))
        guard common * 2 >= max(marks.left.count, marks.right.count) else {
            return ([Bool](repeating: false, count: marks.left.count), [Bool](repeating: false, count: marks.right.count))
        }
        return marks
    }

    /// For each character of `left` and of `right`, true when it is not part of their longest
    /// common subsequence: every difference, however little the values share (what masked
    /// review shows).
    public static func differing(_ left: String, _ right: String) -> (left: [Bool], right: [Bool]) {
        align(Array(left), Array(right)).marks
    }

    /// The marks and the length of the common subsequence.
    private static func align(_ a: [Character], _ b: [Character]) -> (marks: (left: [Bool], right: [Bool]), common: Int) {
        if a == b { return (([Bool](repeating: false, count: a.count), [Bool](repeating: false, count: b.count)), a.count) }
        // Long values would make the table large; past this, mark everything that differs in place.
        guard a.count * b.count <= 40_000 else {
            let left = a.indices.map { $0 >= b.count || a[$0] != b[$0] }
            return ((left, b.indices.map { $0 >= a.count || a[$0] != b[$0] }), left.filter { !$0 }.count)
        }
        let table = table(a, b)
        return (walk(a, b, table), table[0])
    }

    /// table[i * (b.count + 1) + j]: the LCS length of a[i...] and b[j...], in one flat array.
    private static func table(_ a: [Character], _ b: [Character]) -> [Int] {
        let columns = b.count + 1
        var table = [Int](repeating: 0, count: (a.count + 1) * columns)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i * columns + j] = a[i] == b[j]
                    ? table[(i + 1) * columns + j + 1] + 1
                    : max(table[(i + 1) * columns + j], table[i * columns + j + 1])
            }
        }
        return table
    }

    private static func walk(_ a: [Character], _ b: [Character], _ table: [Int]) -> (left: [Bool], right: [Bool]) {
        let columns = b.count + 1
        var leftMarks = [Bool](repeating: true, count: a.count), rightMarks = [Bool](repeating: true, count: b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                leftMarks[i] = false; rightMarks[j] = false
                i += 1; j += 1
            } else if table[(i + 1) * columns + j] >= table[i * columns + j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return (leftMarks, rightMarks)
    }
}
