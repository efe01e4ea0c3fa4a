import ClericalCore
import ClericalStore
import Foundation

/// Draws the review screen into a buffer. Pure: the same state always gives the same screen.
public enum ReviewView {
    /// Symbols carry each level's meaning without colour.
    public static func symbol(_ kind: LevelKind) -> String {
        switch kind {
        case .agree: return "="
        case .close: return "≈"
        case .different: return "≠"
        case .missing: return "∅"
        }
    }

    public static func render(_ state: ReviewState) -> ScreenBuffer {
        var state = state
        // A second review and an audit pair are blind whatever the reviewer chose: no model
        // evidence to anchor on.
        if state.shown?.kind == .secondReview || state.shown?.isAudit == true { state.blind = true }
        var buffer = ScreenBuffer(width: state.width, height: state.height)
        if state.isTooSmall {
            Widgets.tooSmall(into: &buffer)
            return buffer
        }
        drawHeader(state, &buffer)
        if state.byRecord {
            if let group = state.group { ByRecordView.draw(group, state, &buffer) } else { drawEmpty(state, &buffer) }
        } else if let pair = state.shown {
            drawPair(pair, state, &buffer)
        } else {
            drawEmpty(state, &buffer)
        }
        drawFooter(state, &buffer)
        if state.showingHelp { drawHelp(state, &buffer) }
        if let editor = state.editor { drawEditor(editor, state, &buffer) }
        return buffer
    }

    // MARK: - Header and footer

    static func drawHeader(_ state: ReviewState, _ buffer: inout ScreenBuffer) {
        let width = state.width
        buffer.paint(y: 1, style: CellStyle(.normal))
        let badge: String?
        switch state.shown?.kind {
        case .secondReview?: badge = "SECOND REVIEW"
        case .adjudication?: badge = "ADJUDICATION"
        default: badge = state.masked ? "MASKED" : (state.byRecord ? "BY RECORD" : nil)
        }
        let counts = state.counts
        Widgets.header(title: "clerical", context: "\(state.queueName) · reviewer \(state.reviewer)", badge: badge,
                       right: "pending \(counts.awaitingReview + counts.claimed) · decided \(counts.decided) · by the model \(counts.decidedByModel) ",
                       into: &buffer)
        Widgets.progress(counts, width: 30, y: 1, into: &buffer)
        let position: String
        if let index = state.browseIndex, let pair = state.browsed {
            position = "your verdict \(index + 1) of \(state.recent.count) · pair #\(pair.id) "
        } else if let group = state.group {
            position = "\(group.candidates.count) candidate\(group.candidates.count == 1 ? "" : "s") "
        } else if let live = state.live {
            position = "pair \(min(counts.decided + 1, counts.forReview)) of \(counts.forReview) · #\(live.id) "
        } else {
            position = ""
        }
        buffer.put(position, x: width - DisplayText.width(position), y: 1, style: CellStyle(.label))
        buffer.repeatCharacter("─", count: width, x: 0, y: 2, style: CellStyle(.rule))
    }

    /// The footer: this screen's keys. When they do not fit, the optional ones give way first;
    /// help (which lists them all) and quit always stay.
    static func drawFooter(_ state: ReviewState, _ buffer: inout ScreenBuffer) {
        Widgets.footer(state.screen, optional: [.rowUp, .rowDown, .revealAll, .reveal, .jump, .theme, .blind, .next, .previous, .undo],
                       inactive: state.masked ? [] : [.reveal, .revealAll, .rowUp, .rowDown], into: &buffer)
    }

    // MARK: - The pair

    struct Columns {
        var field: Int
        var value: Int
        var label: Int
        var evidence: Int
        var leftX: Int { 2 + field + 1 }
        var rightX: Int { leftX + value + 1 }
        var labelX: Int { rightX + value + 1 }
        var evidenceX: Int { labelX + label + (label > 0 ? 1 : 0) }
    }

    static func columns(_ pair: ReviewPair, _ state: ReviewState) -> Columns {
        let field = min(14, max(5, pair.fields.map(DisplayText.width).max() ?? 5))
        let evidence = state.blind ? 0 : 16
        let label = state.blind ? 0 : (state.width >= 110 ? 30 : 11)
        let value = (state.width - 2 - field - 1 - 2 - label - (label > 0 ? 1 : 0) - evidence) / 2
        return Columns(field: field, value: value, label: label, evidence: evidence)
    }

    /// The fields of the pair's rows, top to bottom: those the comparisons read, then the rest.
    public static func fieldRows(_ pair: ReviewPair) -> [Int] {
        pair.evidence.flatMap(\.fieldIndices) + pair.uncomparedFieldIndices
    }

    /// Whether `field` of the pair on screen shows masked.
    static func isMasked(_ field: Int, _ pair: ReviewPair, _ state: ReviewState) -> Bool {
        guard state.masked else { return false }
        guard state.revealedPair == pair.id else { return true }
        return !state.revealedAll && !state.revealedFields.contains(field)
    }

    /// The rule above the score: the rows below it must stay visible (a blank, the score,
    /// verdict or note, status).
    static func bottom(_ state: ReviewState) -> Int { state.height - 5 }

    static func drawPair(_ pair: ReviewPair, _ state: ReviewState, _ buffer: inout ScreenBuffer) {
        let columns = columns(pair, state)
        let rows = fieldRows(pair)
        let cursorField: Int = state.masked && !rows.isEmpty ? rows[min(state.rowCursor, rows.count - 1)] : -1
        var y = 3
        for line in ContextPanel.linkLines(pair) {
            buffer.put(" ⚠ " + line, x: 0, y: y, style: CellStyle(.warning, bold: true), maxWidth: state.width)
            y += 1
        }
        let heading = CellStyle(.label, bold: true)
        buffer.put("field", x: 2, y: y, style: heading)
        buffer.put(recordTitle(pair.left), x: columns.leftX, y: y, style: heading, maxWidth: columns.value)
        buffer.put(recordTitle(pair.right), x: columns.rightX, y: y, style: heading, maxWidth: columns.value)
        if columns.label > 0 { buffer.put("level", x: columns.labelX, y: y, style: heading) }
        if columns.evidence > 0 { buffer.put("weight", x: columns.evidenceX + 4, y: y, style: heading) }
        y += 1

        let bottom = bottom(state)
        let scale = max(4, pair.evidence.map { abs($0.weight) }.max() ?? 4)
        for evidence in pair.evidence {
            let fieldRows = evidence.fieldIndices.isEmpty ? [nil] : evidence.fieldIndices.map { Optional($0) }
            for (row, fieldIndex) in fieldRows.enumerated() where y < bottom {
                let kind: LevelKind? = state.blind ? nil : evidence.kind
                let style = CellStyle(kind.map(role) ?? .normal)
                if let kind, row == 0 { buffer.put(symbol(kind), x: 0, y: y, style: style) }
                let name = fieldIndex.map { pair.fields[$0] } ?? evidence.name
                let selected = fieldIndex.map { $0 == cursorField } ?? false
                buffer.put(name, x: 2, y: y, style: selected ? CellStyle(.selection) : style, maxWidth: columns.field)
                var note: String?
                if let fieldIndex {
                    note = drawValues(pair.left.values[fieldIndex], pair.right.values[fieldIndex], y: y, columns: columns, style: style,
                                      masked: isMasked(fieldIndex, pair, state), noteAfter: state.blind || row > 0, &buffer)
                } else {
                    buffer.put("(no column shown)", x: columns.leftX, y: y, style: CellStyle(.dim))
                }
                if row == 0, !state.blind {
                    buffer.put(note.map { "⇄ " + $0 } ?? displayLabel(evidence.label, comparison: evidence.name, width: columns.label),
                               x: columns.labelX, y: y, style: note == nil ? style : CellStyle(.warning), maxWidth: columns.label)
                    drawBar(evidence.weight, isNull: evidence.kind == .missing, scale: scale, x: columns.evidenceX, y: y, &buffer)
                }
                y += 1
            }
        }
        for fieldIndex in pair.uncomparedFieldIndices where y < bottom {
            buffer.put(pair.fields[fieldIndex], x: 2, y: y, style: CellStyle(fieldIndex == cursorField ? .selection : .dim), maxWidth: columns.field)
            drawValues(pair.left.values[fieldIndex], pair.right.values[fieldIndex], y: y, columns: columns, style: CellStyle(.normal),
                       masked: isMasked(fieldIndex, pair, state), &buffer)
            y += 1
        }

        ContextPanel.draw(pair, state, &buffer)

        y = bottom
        buffer.repeatCharacter("─", count: state.width, x: 0, y: y, style: CellStyle(.rule))
        y += 1
        if pair.kind == .secondReview {
            buffer.put(" Second review, blind: the first verdict and the model’s evidence are hidden.",
                       x: 0, y: y, style: CellStyle(.dim))
        } else if state.blind {
            buffer.put(" Blind: the model's evidence is hidden (b shows it).", x: 0, y: y, style: CellStyle(.dim))
        } else {
            let score = pair.score
            var x = buffer.put(" match weight ", x: 0, y: y, style: CellStyle(.label))
            x += buffer.put(NumberText.fixed(score.matchWeight, 2, signed: true), x: x, y: y,
                            style: CellStyle(score.matchWeight >= 0 ? .evidencePositive : .evidenceNegative, bold: true))
            x += buffer.put("   probability ", x: x, y: y, style: CellStyle(.label))
            x += buffer.put(formatProbability(score.matchProbability), x: x, y: y, style: CellStyle(.normal, bold: true))
            x += buffer.put("   prior ", x: x, y: y, style: CellStyle(.label))
            buffer.put(NumberText.fixed(pair.priorWeight, 2, signed: true), x: x, y: y)
        }
        y += 1
        var line = ""
        var lineRole = Role.note
        if state.browsed != nil, let verdict = pair.verdict {
            line = " Your verdict: \(verdict.rawValue)"
            lineRole = verdict == .match ? .match : (verdict == .nonMatch ? .nonMatch : .unsure)
            if let note = pair.note { line += " · note: \(note)" }
        } else if !state.draftNote.isEmpty {
            line = " Note: \(state.draftNote)"
        } else if pair.kind == .adjudication {
            // The verdicts to settle; the adjudicator's is final.
            line = " " + pair.disputedVerdicts.map { earlier in
                let review = earlier.kind == .secondReview ? "2nd" : "1st"
                return "\(review) \(earlier.reviewer): \(earlier.verdict.rawValue)" + (earlier.note.map { " “\($0)”" } ?? "")
            }.joined(separator: "  ·  ")
            lineRole = .warning
        }
        buffer.put(line, x: 0, y: y, style: CellStyle(lineRole))
        y += 1
        if let message = state.message { buffer.put(" " + message.text, x: 0, y: y, style: CellStyle(message.role)) }
    }

    static func recordTitle(_ record: ReviewRecord) -> String {
        record.sourceDataset.isEmpty ? record.uniqueID : "\(record.sourceDataset) · \(record.uniqueID)"
    }

    /// A note masking adds (a swapped day and month) goes after the right value when
    /// `noteAfter`; else it is returned, for the label column.
    @discardableResult
    static func drawValues(_ left: String?, _ right: String?, y: Int, columns: Columns, style: CellStyle, masked: Bool = false,
                           noteAfter: Bool = true, _ buffer: inout ScreenBuffer) -> String? {
        let l = left.map(DisplayText.sanitized), r = right.map(DisplayText.sanitized)
        var texts = (left: l, right: r)
        var marks: (left: [Bool], right: [Bool])? = nil
        var note: String?
        if masked {
            // Only what differs shows; the marks are the characters shown.
            let pair = MaskedText.mask(l, r)
            texts = (pair.left?.text, pair.right?.text)
            marks = (pair.left?.shown ?? [], pair.right?.shown ?? [])
            note = pair.note
        } else if let l, let r, l != r {
            marks = TextDifference.marks(l, r)
        }
        for (text, mark, x) in [(texts.left, marks?.left, columns.leftX), (texts.right, marks?.right, columns.rightX)] {
            if let text {
                buffer.put(DisplayText.truncated(text, toWidth: columns.value), x: x, y: y, style: style, marks: mark)
            } else {
                buffer.put("—", x: x, y: y, style: CellStyle(.missing))
            }
        }
        guard noteAfter else { return note }
        if let note, let right = texts.right {
            let after = columns.rightX + DisplayText.width(right) + 1
            buffer.put("⇄ " + note, x: after, y: y, style: CellStyle(.warning), maxWidth: max(0, columns.rightX + columns.value - after))
        }
        return nil
    }

    /// A signed bar: negative weights grow left of the axis, positive ones right, scaled to
    /// the pair's largest weight, then the weight itself.
    static func drawBar(_ weight: Double, isNull: Bool, scale: Double, x: Int, y: Int, _ buffer: inout ScreenBuffer) {
        let half = 4
        let cells = isNull ? 0 : max(weight == 0 ? 0 : 1, Int((abs(weight) / scale * Double(half)).rounded()))
        buffer.put("│", x: x + half, y: y, style: CellStyle(.rule))
        if weight < 0 {
            buffer.repeatCharacter("█", count: cells, x: x + half - cells, y: y, style: CellStyle(.evidenceNegative))
        } else {
            buffer.repeatCharacter("█", count: cells, x: x + half + 1, y: y, style: CellStyle(.evidencePositive))
        }
        let text = isNull ? "     0" : NumberText.padded(NumberText.fixed(weight, 2, signed: true), 6)
        buffer.put(text, x: x + 2 * half + 2, y: y, style: CellStyle(weight < 0 ? .evidenceNegative : .evidencePositive))
    }

    static func role(_ kind: LevelKind) -> Role {
        switch kind {
        case .agree: return .agree
        case .close: return .close
        case .different: return .different
        case .missing: return .missing
        }
    }

    static func formatProbability(_ p: Double) -> String {
        if p > 0.999 || p < 0.001 { return String(format: "%.2e", p) }
        return NumberText.fixed(p, 3)
    }

    /// The level label as it fits: in full, then without the comparison's name
    /// ("Jaro-Winkler distance ≥ 0.9"), then short ("JW ≥ 0.9").
    static func displayLabel(_ label: String, comparison: String, width: Int) -> String {
        let full = mathematicalComparisons(label)
        if DisplayText.width(full) <= width { return full }
        var unnamed = full
        for phrase in [" of \(comparison)", " on \(comparison)"] {
            if let range = unnamed.range(of: phrase) { unnamed.removeSubrange(range) }
        }
        if DisplayText.width(unnamed) <= width { return unnamed }
        return shortLabel(label)
    }

    /// ">=" → "≥" and "<=" → "≤".
    package static func mathematicalComparisons(_ text: String) -> String {
        // Byte-level: ">=" and "<=" are ASCII, and a dozen labels are drawn on every frame:
        // 0.23 µs against 3.74 µs for replacingOccurrences (CLERICAL_BENCH_PIECES=1 clerical-review-bench).
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "=")) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count + 4)
        for byte in utf8 {
            if byte == UInt8(ascii: "="), let last = bytes.last, last == UInt8(ascii: ">") || last == UInt8(ascii: "<") {
                bytes.removeLast()
                bytes.append(contentsOf: (last == UInt8(ascii: ">") ? "≥" : "≤").utf8)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Splink's chart labels, shortened for an 80-column screen: "Jaro-Winkler distance of
    /// surname >= 0.9" → "JW ≥ 0.9".
    public static func shortLabel(_ label: String) -> String {
        let lower = label.lowercased()
        if lower.hasPrefix("exact match") { return "exact" }
        if lower.contains("is null") { return "missing" }
        if lower == "all other comparisons" || lower == "else" { return "else" }
        func threshold() -> String {
            let parts = label.components(separatedBy: " ")
            guard parts.count >= 2 else { return "" }
            let op = mathematicalComparisons(parts[parts.count - 2])
            return " \(op) \(parts[parts.count - 1])"
        }
        if lower.hasPrefix("jaro-winkler") || lower.hasPrefix("jaro_winkler") { return "JW" + threshold() }
        if lower.hasPrefix("damerau-levenshtein") { return "DL" + threshold() }
        if lower.hasPrefix("levenshtein") { return "Lev" + threshold() }
        if lower.hasPrefix("jaccard") { return "Jac" + threshold() }
        return mathematicalComparisons(label)
    }

    // MARK: - Other screens

    static func drawEmpty(_ state: ReviewState, _ buffer: inout ScreenBuffer) {
        let counts = state.counts
        let lines: [(String, Role)] = [
            ("Nothing left to review.", .title),
            ("", .normal),
            ("\(counts.decided) decided by reviewers · \(counts.decidedByModel) decided by the model · \(counts.total) pairs in all", .normal),
            (state.recent.isEmpty ? "" : "You gave \(state.recent.count) of the standing verdicts.", .label),
            ("", .normal),
            ("z undo your last verdict · ← look back at your verdicts · q quit", .dim),
        ]
        let top = max(4, (state.height - lines.count) / 2 - 1)
        for (i, line) in lines.enumerated() {
            let x = max(0, (state.width - DisplayText.width(line.0)) / 2)
            buffer.put(line.0, x: x, y: top + i, style: CellStyle(line.1, bold: i == 0))
        }
        if let message = state.message { buffer.put(" " + message.text, x: 0, y: state.height - 2, style: CellStyle(message.role)) }
    }

    static func drawBox(title: String, lines: [(String, CellStyle)], width: Int, _ state: ReviewState, _ buffer: inout ScreenBuffer) -> (x: Int, y: Int) {
        let height = lines.count + 2
        let x = max(0, (state.width - width) / 2), y = max(0, (state.height - height) / 2)
        for row in 0..<height {
            buffer.put(String(repeating: " ", count: width), x: x, y: y + row, style: CellStyle(.normal))
        }
        buffer.put("┌" + String(repeating: "─", count: width - 2) + "┐", x: x, y: y, style: CellStyle(.rule))
        buffer.put(" \(title) ", x: x + 2, y: y, style: CellStyle(.label, bold: true))
        for (i, line) in lines.enumerated() {
            buffer.put("│", x: x, y: y + 1 + i, style: CellStyle(.rule))
            buffer.put(line.0, x: x + 2, y: y + 1 + i, style: line.1, maxWidth: width - 4)
            buffer.put("│", x: x + width - 1, y: y + 1 + i, style: CellStyle(.rule))
        }
        buffer.put("└" + String(repeating: "─", count: width - 2) + "┘", x: x, y: y + height - 1, style: CellStyle(.rule))
        return (x, y)
    }

    /// The help overlay, generated from the action table: every action of the review screens.
    static func drawHelp(_ state: ReviewState, _ buffer: inout ScreenBuffer) {
        let width = min(state.width - 4, 72)
        var lines: [(String, CellStyle)] = (state.byRecord ? Action.byRecordBindings : Action.reviewBindings).map { binding in
            let key = binding.keyLabel.padding(toLength: 5, withPad: " ", startingAt: 0)
            let name = binding.name.padding(toLength: 10, withPad: " ", startingAt: 0)
            return ("\(key) \(name) \(binding.help)", CellStyle(.normal))
        }
        if !state.byRecord { lines.append(("In a note: " + Widgets.hint(.noteEditor, width: width - 15), CellStyle(.normal))) }
        lines.append(("", CellStyle(.normal)))
        lines.append((Widgets.hint(.help, width: width - 4).capitalisingFirstLetter + ".", CellStyle(.dim)))
        _ = drawBox(title: "Keys", lines: lines, width: width, state, &buffer)
    }

    static func drawEditor(_ editor: NoteEditor, _ state: ReviewState, _ buffer: inout ScreenBuffer) {
        let width = min(state.width - 4, 76)
        let title: String
        switch editor.target {
        case .draft: title = "Note for pair #\(state.live?.id ?? 0), saved with your verdict"
        case let .verdict(pairID, verdict): title = "Note on your verdict (\(verdict.rawValue)) for pair #\(pairID)"
        }
        let inner = width - 4
        // Show the end of long text so the cursor stays in view.
        var start = 0
        while DisplayText.width(String(editor.text[start..<editor.cursor])) > inner - 1 { start += 1 }
        let visible = String(editor.text[start...])
        let origin = drawBox(title: title, lines: [(visible, CellStyle(.note)), ("", CellStyle(.normal)),
                                                  (Widgets.hint(.noteEditor, width: inner), CellStyle(.dim))],
                             width: width, state, &buffer)
        let cursorX = origin.x + 2 + DisplayText.width(String(editor.text[start..<editor.cursor]))
        let cursorY = origin.y + 1
        if cursorX < origin.x + width - 1 {
            let under = buffer.text(x: cursorX, y: cursorY)
            buffer.put(under.isEmpty ? " " : under, x: cursorX, y: cursorY, style: CellStyle(.selection))
        }
    }
}

extension String {
    var capitalisingFirstLetter: String { prefix(1).uppercased() + dropFirst() }
}
