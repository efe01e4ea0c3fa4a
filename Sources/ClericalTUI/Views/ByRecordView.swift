import ClericalCore
import ClericalStore

/// One-record review: the record on the first row, each pending candidate on a row below it
/// (numbered for its key), field by field in columns. A candidate's value is styled by its
/// comparison level against the record, with the characters that differ marked; the model's
/// probability sits on the right unless the review is blind. During the confirm step the
/// chosen row is highlighted and the question is asked above the footer.
enum ByRecordView {
    static func draw(_ group: RecordGroup, _ state: ReviewState, _ buffer: inout ScreenBuffer) {
        guard let first = group.candidates.first else { return }
        let fields = ReviewView.fieldRows(first)
        let hidesModel = state.blind || group.candidates.contains { $0.kind == .secondReview || $0.isAudit }
        let others = group.candidates.map(group.other)
        // Column widths: the record's id column, then each field as wide as its widest value
        // (at most 18), as many fields as the width holds beside the probability.
        let idWidth = min(16, max(10, ([group.record.uniqueID] + others.map(\.uniqueID)).map(DisplayText.width).max() ?? 10))
        let right = hidesModel ? 0 : 10
        var columns: [(field: Int, x: Int, width: Int)] = []
        var x = 4 + idWidth + 2
        for field in fields {
            let values = ([group.record] + others).compactMap { $0.values[safe: field] ?? nil }.map(DisplayText.sanitized)
            let width = min(18, max(4, (values + [first.fields[field]]).map(DisplayText.width).max() ?? 4))
            guard x + width <= state.width - right - 1 else { break }
            columns.append((field, x, width))
            x += width + 2
        }

        var y = 3
        buffer.put(" One record, all its pending candidates: which one is the same person?", x: 0, y: y, style: CellStyle(.label))
        y += 2
        let heading = CellStyle(.label, bold: true)
        buffer.put("record", x: 4, y: y, style: heading)
        for column in columns { buffer.put(first.fields[column.field], x: column.x, y: y, style: heading, maxWidth: column.width) }
        if !hidesModel { buffer.put("p(match)", x: state.width - right, y: y, style: heading, maxWidth: right) }
        y += 1
        buffer.put(DisplayText.sanitized(group.record.uniqueID), x: 4, y: y, style: CellStyle(.title, bold: true), maxWidth: idWidth)
        for column in columns {
            let value = group.record.values[safe: column.field] ?? nil
            buffer.put(value.map(DisplayText.sanitized) ?? "—", x: column.x, y: y, style: CellStyle(value == nil ? .missing : .normal, bold: true),
                       maxWidth: column.width)
        }
        y += 1
        buffer.repeatCharacter("─", count: state.width, x: 0, y: y, style: CellStyle(.rule))
        y += 1

        for (index, pair) in group.candidates.enumerated() where y < state.height - 5 {
            let other = others[index]
            let chosen: Bool
            switch state.groupChoice {
            case .match(let id)?: chosen = id == pair.id
            default: chosen = false
            }
            let dimmed = state.groupChoice != nil && !chosen
            if chosen { buffer.paint(y: y, style: CellStyle(.selection)) }
            buffer.put("\(index + 1)", x: 1, y: y, style: CellStyle(chosen ? .selection : .key, bold: true))
            buffer.put(DisplayText.sanitized(other.uniqueID), x: 4, y: y, style: CellStyle(chosen ? .selection : .normal), maxWidth: idWidth)
            let kinds = Dictionary(pair.evidence.flatMap { evidence in evidence.fieldIndices.map { ($0, evidence.kind) } }, uniquingKeysWith: { a, _ in a })
            for column in columns {
                let value = (other.values[safe: column.field] ?? nil).map(DisplayText.sanitized)
                let base = (group.record.values[safe: column.field] ?? nil).map(DisplayText.sanitized)
                let role: Role = chosen ? .selection : (dimmed ? .dim : (state.blind ? .normal : kinds[column.field].map(ReviewView.role) ?? .normal))
                guard let value else {
                    buffer.put("—", x: column.x, y: y, style: CellStyle(chosen ? .selection : .missing))
                    continue
                }
                let marks = base.flatMap { $0 == value ? nil : TextDifference.marks($0, value).right }
                buffer.put(DisplayText.truncated(value, toWidth: column.width), x: column.x, y: y, style: CellStyle(role), marks: marks)
            }
            if !hidesModel {
                buffer.put(ContextPanel.shortProbability(pair.score.matchProbability), x: state.width - right, y: y,
                           style: CellStyle(chosen ? .selection : .normal))
            }
            y += 1
        }

        // The confirm step.
        let questionY = state.height - 3
        switch state.groupChoice {
        case .match(let id)?:
            let number = (group.candidates.firstIndex { $0.id == id } ?? 0) + 1
            let others = group.candidates.count - 1
            buffer.put(" Candidate \(number) is the match. The other \(others): " + Widgets.hint(.groupConfirm, width: state.width - 40),
                       x: 0, y: questionY, style: CellStyle(.warning, bold: true), maxWidth: state.width)
        case .none?:
            buffer.put(" None of the \(group.candidates.count) matches: Enter records them all as non-matches · Esc choose again",
                       x: 0, y: questionY, style: CellStyle(.warning, bold: true), maxWidth: state.width)
        case nil:
            if let message = state.message { buffer.put(" " + message.text, x: 0, y: questionY, style: CellStyle(message.role)) }
        }
    }
}
