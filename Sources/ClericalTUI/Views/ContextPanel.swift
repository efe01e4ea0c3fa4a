import ClericalCore
import ClericalStore

/// The pair's surroundings under the pair: the links either record already has (at the top,
/// where the eye falls first), the pattern's history, and each record's other candidates side
/// by side, the pending ones numbered for jumping (1–9). Blind review, second review and audit
/// pairs show neither the history nor any probability: both anchor. Masked review shows the
/// candidates' ids and states, not their values.
enum ContextPanel {
    /// The rows above the pair's table that its links take.
    static func linkLines(_ pair: ReviewPair) -> [String] {
        pair.context.links.prefix(2).map { link in
            "\(link.record) is already linked to \(ReviewView.recordTitle(link.linkedTo)) (match, \(link.reviewer))"
        }
    }

    /// The candidates the screen shows of each record, as the window allows.
    static func shown(_ pair: ReviewPair, _ state: ReviewState) -> (left: [PairContext.Candidate], right: [PairContext.Candidate]) {
        let rows = candidateRows(pair, state)
        return (Array(pair.context.left.prefix(rows)), Array(pair.context.right.prefix(rows)))
    }

    /// The pending candidates shown, in the order keys 1–9 reach them.
    static func jumpTargets(_ pair: ReviewPair, _ state: ReviewState) -> [Int64] {
        let (left, right) = shown(pair, state)
        return Array((left + right).filter(\.isPending).prefix(9).map(\.pairID))
    }

    /// Where the panel starts: below the links, the pair's table and a blank row.
    static func top(_ pair: ReviewPair) -> Int {
        3 + linkLines(pair).count + 1 + pairRows(pair) + 1
    }

    /// Rows the pair's table takes below its heading.
    static func pairRows(_ pair: ReviewPair) -> Int {
        pair.evidence.reduce(0) { $0 + max(1, $1.fieldIndices.count) } + pair.uncomparedFieldIndices.count
    }

    static func candidateRows(_ pair: ReviewPair, _ state: ReviewState) -> Int {
        // The panel's rule, the history line and each side's title come before the candidates.
        let available = ReviewView.bottom(state) - top(pair) - 3
        return max(0, min(available, PairContext.candidatesPerRecord))
    }

    static func hidesModel(_ pair: ReviewPair, _ state: ReviewState) -> Bool {
        state.blind || pair.kind == .secondReview || pair.isAudit
    }

    static func draw(_ pair: ReviewPair, _ state: ReviewState, _ buffer: inout ScreenBuffer) {
        var y = top(pair)
        guard y + 2 < ReviewView.bottom(state) else { return }
        let context = pair.context
        buffer.put("other candidates", x: 2, y: y, style: CellStyle(.label, bold: true))
        buffer.repeatCharacter("┄", count: max(0, state.width - 21), x: 20, y: y, style: CellStyle(.rule))
        y += 1
        if !hidesModel(pair, state), let history = context.history {
            let verdicts = history.reviewed == 0 ? "none reviewed yet"
                : "\(history.reviewed) reviewed: \(history.matches) match, \(history.nonMatches) non-match, \(history.unsure) unsure"
            let line = (history.pairs == 1 ? "Only this pair has" : "\(history.pairs) pairs share") + " this comparison vector · \(verdicts)"
            buffer.put(line, x: 2, y: y, style: CellStyle(.dim), maxWidth: state.width - 4)
            y += 1
        }
        let (left, right) = shown(pair, state)
        let targets = jumpTargets(pair, state)
        let half = (state.width - 4) / 2
        for (side, candidates, total, x) in [(pair.left, left, context.left.count, 2),
                                              (pair.right, right, context.right.count, 2 + half + 2)] {
            let more = total == PairContext.candidatesPerRecord ? "+" : ""  // only so many are loaded
            let title: String
            if total == 0 {
                title = "\(side.uniqueID): no other candidate"
            } else if candidates.isEmpty {
                title = "\(side.uniqueID): \(total)\(more) more, no room here"
            } else {
                title = "\(side.uniqueID) also pairs with" + (total > candidates.count ? " (\(candidates.count) of \(total)\(more) shown)" : "")
            }
            buffer.put(title, x: x, y: y, style: CellStyle(.label), maxWidth: half)
            for (row, candidate) in candidates.enumerated() {
                let key = targets.firstIndex(of: candidate.pairID).map { "\($0 + 1)" } ?? " "
                drawCandidate(candidate, key: key, pair: pair, hideModel: hidesModel(pair, state), masked: state.masked,
                              x: x, y: y + 1 + row, width: half, &buffer)
            }
        }
    }

    static func drawCandidate(_ candidate: PairContext.Candidate, key: String, pair: ReviewPair, hideModel: Bool, masked: Bool,
                              x: Int, y: Int, width: Int, _ buffer: inout ScreenBuffer) {
        var used = buffer.put(key, x: x, y: y, style: CellStyle(.key, bold: true))
        used += 1
        let (status, role) = stateText(candidate.state, hideModel: hideModel)
        let probability = hideModel ? "" : shortProbability(candidate.probability)
        let tail = (probability.isEmpty ? "" : probability + "  ") + status
        let tailWidth = DisplayText.width(tail)
        // The other record: its id, then the values of the fields the comparisons read (none
        // in masked review: they would show what the masks hide).
        let fields = masked ? [] : pair.evidence.flatMap(\.fieldIndices).prefix(3).compactMap { candidate.other.values[safe: $0] ?? nil }
        let who = ([candidate.other.uniqueID] + fields).map(DisplayText.sanitized).joined(separator: " · ")
        buffer.put(who, x: x + used, y: y, style: CellStyle(.normal), maxWidth: max(0, width - used - tailWidth - 1))
        buffer.put(tail, x: x + width - tailWidth, y: y, style: CellStyle(role))
    }

    /// A probability in at most six cells: beside a candidate the exact exponent adds nothing.
    static func shortProbability(_ p: Double) -> String {
        p > 0.999 ? ">0.999" : (p < 0.001 ? "<0.001" : NumberText.fixed(p, 3))
    }

    static func stateText(_ state: PairContext.State, hideModel: Bool) -> (String, Role) {
        switch state {
        case .pending: return ("pending", .normal)
        case let .claimed(by): return ("claimed by \(by)", .dim)
        case let .decided(by, verdict):
            return ("\(verdict.rawValue) · \(by)", verdict == .match ? .match : (verdict == .nonMatch ? .nonMatch : .unsure))
        case .disputed: return ("disputed", .warning)
        case let .decidedByModel(match):
            return hideModel ? ("by the model", .dim) : ("model: \(match ? "match" : "non-match")", .dim)
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
