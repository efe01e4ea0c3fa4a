/// Two values as masked review shows them: no more than judging their agreement needs.
///
/// Characters that differ between the values are shown; agreeing runs become mask glyphs, one
/// per cell the hidden text took, so the layout keeps its widths (a CJK character hides behind
/// two glyphs, a letter with combining marks behind one). Dates are compared part by part (day,
/// month, year): agreeing parts are masked, differing ones shown, and a day and month that
/// trade places are named. A missing value stays missing; a value facing a missing one is
/// masked whole (nothing to compare it with).
///
///     MaskedText.mask("Siobhán", "Siobhan")  // "•••••á•", "•••••a•"
public enum MaskedText {
    public static let glyph: Character = "•"

    public struct Masked: Sendable, Equatable {
        public var text: String
        /// Per character of `text`: true where it shows a character of the value.
        public var shown: [Bool]
    }

    public struct Pair: Sendable, Equatable {
        public var left: Masked?
        public var right: Masked?
        /// What the parts alone do not say ("day/month swapped").
        public var note: String?
    }

    public static func mask(_ left: String?, _ right: String?) -> Pair {
        guard let left, let right else {
            return Pair(left: left.map(hidden), right: right.map(hidden), note: nil)
        }
        if let a = DateParts(left), let b = DateParts(right) { return maskDates(a, b) }
        let marks = TextDifference.differing(left, right)
        return Pair(left: masked(Array(left), marks.left), right: masked(Array(right), marks.right), note: nil)
    }

    /// `characters`, with those not `shown` replaced by glyphs of their width.
    static func masked(_ characters: [Character], _ shown: [Bool]) -> Masked {
        var text = "", marks: [Bool] = []
        for (character, isShown) in zip(characters, shown) {
            if isShown {
                text.append(character)
                marks.append(true)
            } else {
                let cells = max(1, DisplayText.width(of: character))
                text += String(repeating: glyph, count: cells)
                marks += [Bool](repeating: false, count: cells)
            }
        }
        return Masked(text: text, shown: marks)
    }

    static func hidden(_ value: String) -> Masked {
        masked(Array(value), [Bool](repeating: false, count: value.count))
    }

    private static func maskDates(_ a: DateParts, _ b: DateParts) -> Pair {
        let swapped = a.day == b.month && a.month == b.day && a.day != a.month
        func side(_ parts: DateParts, _ other: DateParts) -> Masked {
            var text = "", shown: [Bool] = []
            for piece in parts.pieces {
                switch piece {
                case let .part(kind, value):
                    let characters = Array(value)
                    let part = masked(characters, [Bool](repeating: value != other.value(kind), count: characters.count))
                    text += part.text
                    shown += part.shown
                case let .separator(character):
                    text.append(character)
                    shown.append(false)
                }
            }
            return Masked(text: text, shown: shown)
        }
        return Pair(left: side(a, b), right: side(b, a), note: swapped ? "day/month swapped" : nil)
    }
}

/// A date written year-month-day (1984-03-12) or day/month/year (12/03/1984, also with - or .),
/// in its pieces as written.
struct DateParts {
    enum Kind { case year, month, day }
    enum Piece { case part(Kind, String), separator(Character) }

    let pieces: [Piece]
    var month: String { value(.month) ?? "" }
    var day: String { value(.day) ?? "" }

    func value(_ kind: Kind) -> String? {
        for case let .part(k, value) in pieces where k == kind { return value }
        return nil
    }

    init?(_ text: String) {
        let characters = Array(text)
        guard characters.count == 10, characters.allSatisfy({ $0.isASCII && ($0.isNumber || "-/.".contains($0)) }) else { return nil }
        let digits = { (range: Range<Int>) -> String in String(characters[range]) }
        let isDigits = { (range: Range<Int>) -> Bool in characters[range].allSatisfy(\.isNumber) }
        if isDigits(0..<4), !characters[4].isNumber, characters[4] == characters[7], isDigits(5..<7), isDigits(8..<10) {
            pieces = [.part(.year, digits(0..<4)), .separator(characters[4]), .part(.month, digits(5..<7)),
                      .separator(characters[7]), .part(.day, digits(8..<10))]
        } else if isDigits(0..<2), !characters[2].isNumber, characters[2] == characters[5], isDigits(3..<5), isDigits(6..<10) {
            pieces = [.part(.day, digits(0..<2)), .separator(characters[2]), .part(.month, digits(3..<5)),
                      .separator(characters[5]), .part(.year, digits(6..<10))]
        } else {
            return nil
        }
    }
}
