import ClericalCore

/// What a cell means; a theme says how each role looks.
public enum Role: String, CaseIterable, Sendable {
    case normal, header, title, label, rule, footer, key
    case agree, close, different, missing
    /// Characters that differ between the two values.
    case diff
    case evidencePositive = "evidence-positive"
    case evidenceNegative = "evidence-negative"
    case selection, warning, note, dim
    case match, nonMatch = "non-match", unsure
}

/// A cell's role plus attributes a view adds on top of the theme's (a marked character is
/// underlined whatever the theme).
public struct CellStyle: Hashable, Sendable {
    public var role: Role
    public var underline: Bool
    public var bold: Bool

    public init(_ role: Role, underline: Bool = false, bold: Bool = false) {
        self.role = role
        self.underline = underline
        self.bold = bold
    }
}

/// One cell: plain data, so a frame of thousands of cells costs no reference counting.
/// A grapheme of one scalar (nearly all) lives in the cell; one of several scalars (a base
/// with combining marks) lives in its buffer's `clusters`.
public struct Cell: Equatable, Sendable {
    /// The scalar; 0 for the second cell of a wide character.
    var scalar: UInt32
    /// 1 + the index of the grapheme in the buffer's `clusters`, or 0.
    var cluster: Int32
    public var style: CellStyle

    init(scalar: UInt32, style: CellStyle) {
        self.scalar = scalar
        cluster = 0
        self.style = style
    }

    public static let blank = Cell(scalar: 0x20, style: CellStyle(.normal))
}

/// A grid of styled cells that views draw into; only the terminal layer turns it into
/// curses calls, and tests read it as text.
public struct ScreenBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    private(set) var cells: [Cell]
    private var clusters: [String] = []

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = [Cell](repeating: .blank, count: self.width * self.height)
    }

    public func style(x: Int, y: Int) -> CellStyle { cells[y * width + x].style }

    /// The grapheme at a cell; "" for the second cell of a wide character.
    public func text(x: Int, y: Int) -> String { text(of: cells[y * width + x]) }

    func text(of cell: Cell) -> String {
        if cell.cluster > 0 { return clusters[Int(cell.cluster) - 1] }
        guard cell.scalar != 0, let scalar = Unicode.Scalar(cell.scalar) else { return "" }
        return String(Character(scalar))
    }

    /// Every cell's grapheme, row by row.
    public var graphemes: [String] { cells.map(text(of:)) }

    /// True when the cell at (x, y) looks the same in both buffers.
    public func sameCell(x: Int, y: Int, as other: ScreenBuffer) -> Bool {
        let a = cells[y * width + x], b = other.cells[y * other.width + x]
        guard a.style == b.style, a.scalar == b.scalar else { return false }
        if a.cluster == 0 && b.cluster == 0 { return true }
        return text(of: a) == other.text(of: b)
    }

    private mutating func set(_ index: Int, _ character: Character, _ style: CellStyle) {
        let scalars = character.unicodeScalars
        var cell = Cell(scalar: scalars.first?.value ?? 0, style: style)
        if scalars.count > 1 {
            clusters.append(String(character))
            cell.cluster = Int32(clusters.count)
        }
        cells[index] = cell
    }

    /// Draws `text` from column `x` on row `y`, at most `maxWidth` cells (default: to the
    /// edge). Values are sanitised first, so control characters never reach the terminal.
    /// Returns the cells used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = CellStyle(.normal),
                             maxWidth: Int? = nil, marks: [Bool]? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? (width - x), width - max(x, 0))
        // Fast paths: printable ASCII (tested byte by byte, the cheapest test), then simple
        // scalars (DisplayText.isSimple): one grapheme and one cell each, already safe.
        if x >= 0, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return putCells(text.utf8.lazy.map(UInt32.init), x: x, y: y, style: style, limit: limit, marks: marks)
        }
        if x >= 0, text.unicodeScalars.allSatisfy(DisplayText.isSimple) {
            return putCells(text.unicodeScalars.lazy.map(\.value), x: x, y: y, style: style, limit: limit, marks: marks)
        }
        var column = x, used = 0
        for (index, character) in DisplayText.sanitized(text).enumerated() {
            let w = DisplayText.width(of: character)
            if w == 0 {
                // A combining mark that survived NFC joins the previous cell.
                if column > x, column - 1 >= 0 {
                    let previous = cells[y * width + column - 1]
                    set(y * width + column - 1, Character(self.text(of: previous) + String(character)), previous.style)
                }
                continue
            }
            guard used + w <= limit else { break }
            if column >= 0 {
                var cellStyle = style
                if let marks, index < marks.count, marks[index] {
                    cellStyle = CellStyle(.diff, underline: true, bold: style.bold)
                }
                set(y * width + column, character, cellStyle)
                if w == 2 && column + 1 < width { cells[y * width + column + 1] = Cell(scalar: 0, style: cellStyle) }
            }
            column += w
            used += w
        }
        return used
    }

    /// One cell per scalar value, at most `limit`: text with no grapheme breaking to do.
    private mutating func putCells<Values: Sequence>(_ values: Values, x: Int, y: Int, style: CellStyle, limit: Int,
                                                     marks: [Bool]?) -> Int where Values.Element == UInt32 {
        let marked = CellStyle(.diff, underline: true, bold: style.bold)
        var column = x
        for (index, value) in values.prefix(limit).enumerated() {
            let isMarked = marks.map { index < $0.count && $0[index] } ?? false
            cells[y * width + column] = Cell(scalar: value, style: isMarked ? marked : style)
            column += 1
        }
        return column - x
    }

    /// Draws one single-cell character `count` times: rules and bars.
    @discardableResult
    public mutating func repeatCharacter(_ character: Character, count: Int, x: Int, y: Int, style: CellStyle) -> Int {
        let safe = Character(DisplayText.sanitized(String(character)))
        guard y >= 0, y < height, count > 0, DisplayText.width(of: safe) == 1, safe.unicodeScalars.count == 1 else { return 0 }
        let cell = Cell(scalar: safe.unicodeScalars.first!.value, style: style)
        let start = max(0, x), end = min(width, x + count)
        guard start < end else { return 0 }
        for column in start..<end { cells[y * width + column] = cell }
        return end - start
    }

    /// Paints a row's cells from `x` for `count` cells with a style (keeping their text).
    public mutating func paint(y: Int, x: Int = 0, count: Int? = nil, style: CellStyle) {
        guard y >= 0, y < height else { return }
        let end = min(width, x + (count ?? width))
        for column in max(0, x)..<max(max(0, x), end) { cells[y * width + column].style = style }
    }

    /// The screen as plain text, one line a row, trailing spaces trimmed: golden screens.
    public func text() -> String {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width { line += text(of: cells[y * width + x]) }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// The screen as text with the theme's attributes marked where they change:
    /// ⟨b⟩ bold, ⟨u⟩ underline, ⟨r⟩ reverse, ⟨d⟩ dim, ⟨⟩ none. Shows that meaning survives
    /// in a theme without colour.
    public func annotated(with theme: Theme) -> String {
        (0..<height).map { y in
            var line = "", current = ""
            for x in 0..<width {
                let cell = cells[y * width + x]
                let look = theme.look(cell.style.role)
                var marks = ""
                if look.bold || cell.style.bold { marks += "b" }
                if look.underline || cell.style.underline { marks += "u" }
                if look.reverse { marks += "r" }
                if look.dim { marks += "d" }
                if marks != current {
                    line += "⟨\(marks)⟩"
                    current = marks
                }
                line += text(of: cell)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            if line.hasSuffix("⟨⟩") { line.removeLast(2) }
            return line
        }.joined(separator: "\n")
    }
}
