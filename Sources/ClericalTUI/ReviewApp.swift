import ClericalCore
import ClericalStore
import Foundation

/// A note being written: Unicode text with a cursor, counted in characters.
public struct NoteEditor: Equatable, Sendable {
    public enum Target: Equatable, Sendable {
        /// The pair in hand: the note is saved with its verdict.
        case draft
        /// A verdict already given: saving records it again with the new note.
        case verdict(Int64, Verdict)
    }

    public var text: [Character]
    public var cursor: Int
    public var target: Target

    public init(text: String, target: Target) {
        self.text = Array(text)
        cursor = self.text.count
        self.target = target
    }
}

/// In one-record review, what the reviewer chose before the confirm step.
public enum GroupChoice: Equatable, Sendable {
    case match(Int64)
    /// No candidate matches.
    case none
}

/// A group decided in this session: its record and the pairs that got a verdict.
public struct DecidedGroup: Equatable, Sendable {
    public var record: ReviewRecord
    public var pairs: [Int64]
}

/// A line for the reviewer under the pair: what just happened, or what went wrong.
public struct StatusMessage: Equatable, Sendable {
    public var text: String
    public var role: Role
}

/// Everything the review screen shows. `ReviewView.render` draws it; `update` changes it.
public struct ReviewState: Equatable, Sendable {
    public var queueName: String
    public var reviewer: String
    public var width: Int
    public var height: Int
    public var counts = QueueCounts()
    /// The claimed pair in hand, or nil when nothing is left to review.
    public var live: ReviewPair?
    /// A past verdict being looked at (←/→), with its place in `recent`.
    public var browsed: ReviewPair?
    public var browseIndex: Int?
    /// This reviewer's standing verdicts, newest first.
    public var recent: [OwnVerdict] = []
    /// The note for the pair in hand, saved with its verdict.
    public var draftNote = ""
    public var blind: Bool
    /// Masked review: values show only where they differ until revealed.
    public var masked = false
    /// What has been revealed (each reveal logged first), on `revealedPair` only.
    public var revealedPair: Int64?
    public var revealedFields: Set<Int> = []
    public var revealedAll = false
    /// Masked review's selected row of the pair (an index into `ReviewView.fieldRows`).
    public var rowCursor = 0
    /// One-record review (`--by-record`): the record in hand with its candidates, the choice
    /// waiting for its confirm step, and the groups decided this session (undo takes the last
    /// back whole).
    public var byRecord = false
    public var group: RecordGroup?
    public var groupChoice: GroupChoice?
    public var decidedGroups: [DecidedGroup] = []
    public var themeName: String
    public var showingHelp = false
    public var editor: NoteEditor?
    public var message: StatusMessage?
    /// Pairs skipped in this session, not offered again until the queue runs dry.
    public var skipped: Set<Int64> = []
    /// Set when the screen is done: 0 when the reviewer quits, 128 + a signal, 129 on a hang-up.
    public var exitStatus: Int32?

    /// How many of the reviewer's verdicts ←/→ can reach.
    public static let recentLimit = 200

    public init(queueName: String, reviewer: String, width: Int, height: Int, blind: Bool, themeName: String) {
        self.queueName = queueName
        self.reviewer = reviewer
        self.width = width
        self.height = height
        self.blind = blind
        self.themeName = themeName
    }

    public var isTooSmall: Bool { Widgets.isTooSmall(width: width, height: height) }

    public var screen: Action.Screen {
        if isTooSmall { return .tooSmall }
        if byRecord { return group == nil ? .empty : (groupChoice == nil ? .byRecord : .groupConfirm) }
        return browsed != nil ? .browsing : (live != nil ? .review : .empty)
    }

    /// Where keys go: an open note editor or help takes them all, else the screen.
    public var keyScreen: Action.Screen {
        if editor != nil { return .noteEditor }
        if showingHelp { return .help }
        return screen
    }

    /// The pair on screen.
    public var shown: ReviewPair? { browsed ?? live }
}

/// What happens to the app: keys, resizes, the clock, the terminal going away, and the
/// results of commands.
public enum ReviewEvent: ScreenEvent {
    case key(Key)
    case resize(width: Int, height: Int)
    /// Time to renew the claim on the pair in hand.
    case tick
    case terminalGone(exitStatus: Int32)
    /// A pair was claimed (nil: nothing left), with fresh counts and recent verdicts.
    case claimed(ReviewPair?, QueueCounts, [OwnVerdict])
    /// A verdict was recorded (durably) and the next pair claimed.
    case decided(OwnVerdict, next: ReviewPair?, QueueCounts)
    /// A past verdict was corrected or re-noted; the pair as it now stands.
    case corrected(OwnVerdict, ReviewPair, [OwnVerdict])
    case undone(ReviewPair?, QueueCounts, [OwnVerdict])
    case loaded(ReviewPair)
    /// One-record review: a group claimed (nil: nothing left), decided, taken back.
    case groupClaimed(RecordGroup?, QueueCounts)
    case groupDecided([OwnVerdict], next: RecordGroup?, QueueCounts)
    case groupUndone(RecordGroup, QueueCounts)
    /// A reveal was logged: `field` (nil: every field) of the pair may now show in full.
    case revealed(pairID: Int64, field: Int?)
    case failed(String)
}

/// Side effects, performed by `ReviewSession` against the queue: never inside `update`.
public enum ReviewCommand: Equatable, Sendable {
    case decide(pairID: Int64, Verdict, note: String?, shown: PatternScore?, skipped: Set<Int64>)
    case correct(pairID: Int64, Verdict, note: String?)
    case skip(pairID: Int64, skipped: Set<Int64>)
    case claimNext(excluding: Set<Int64>)
    /// Claim `to` (a pending candidate on screen) and hand `from` back.
    case jump(from: Int64, to: Int64)
    case undo(releasing: Int64?)
    case load(pairID: Int64)
    /// One-record review.
    case claimGroup(excluding: Set<Int64>)
    case decideGroup([Int64], match: Int64?, othersAreNonMatches: Bool, skipped: Set<Int64>)
    case undoGroup(DecidedGroup, releasing: [Int64])
    case skipGroup([Int64], skipped: Set<Int64>)
    case renewGroup([Int64])
    case releaseGroup([Int64])
    /// Log a reveal of `field` (an index into the pair's fields; nil: the whole pair).
    case reveal(pairID: Int64, field: Int?, fieldName: String?)
    /// Keep the claim on the pair in hand alive.
    case renew(pairID: Int64)
    case quit(releasing: Int64?)
}

public enum ReviewApp: ScreenProgram {
    public static func start(_ state: ReviewState) -> [ReviewCommand] {
        state.byRecord ? [.claimGroup(excluding: [])] : [.claimNext(excluding: [])]
    }
    public static func render(_ state: ReviewState) -> ScreenBuffer { ReviewView.render(state) }
    public static func exitStatus(_ state: ReviewState) -> Int32? { state.exitStatus }
    public static func themeName(_ state: ReviewState) -> String? { state.themeName }


    /// The state after `event`, and the commands it asks for.
    public static func update(_ state: inout ReviewState, _ event: ReviewEvent) -> [ReviewCommand] {
        switch event {
        case let .resize(width, height):
            state.width = width
            state.height = height
            return []
        case .tick:
            if let group = state.group { return [.renewGroup(group.pairIDs)] }
            return state.live.map { [.renew(pairID: $0.id)] } ?? []
        case let .terminalGone(status):
            // The pair (or group) in hand goes back to the queue.
            state.exitStatus = status
            return quitting(state)
        case let .groupClaimed(group, counts):
            state.group = group
            state.counts = counts
            state.groupChoice = nil
            if group == nil && !state.skipped.isEmpty {
                state.skipped = []
                return [.claimGroup(excluding: [])]
            }
            return []
        case let .groupDecided(verdicts, next, counts):
            if let group = state.group {
                state.decidedGroups.append(DecidedGroup(record: group.record, pairs: verdicts.map(\.pairID)))
            }
            let matches = verdicts.filter { $0.verdict == .match }.count, nonMatches = verdicts.count - matches
            state.message = StatusMessage(text: "Saved: \(matches) match\(matches == 1 ? "" : "es"), \(nonMatches) non-match\(nonMatches == 1 ? "" : "es")"
                                          + (verdicts.count < (state.group?.candidates.count ?? 0) ? "; the others are back in the queue" : ""),
                                          role: matches > 0 ? .match : .nonMatch)
            state.group = next
            state.groupChoice = nil
            state.counts = counts
            return []
        case let .groupUndone(group, counts):
            state.decidedGroups.removeLast()
            state.group = group
            state.groupChoice = nil
            state.counts = counts
            state.message = StatusMessage(text: "Undone: the verdicts on \(group.record.uniqueID)'s candidates are withdrawn; it is back in hand",
                                          role: .warning)
            return []
        case let .claimed(pair, counts, recent):
            state.live = pair
            state.counts = counts
            state.recent = recent
            state.draftNote = ""
            if pair == nil && !state.skipped.isEmpty {
                // Only skipped pairs remain: offer them again rather than claim the queue is done.
                state.skipped = []
                return [.claimNext(excluding: [])]
            }
            return []
        case let .decided(verdict, next, counts):
            state.message = StatusMessage(text: "Saved: \(verdict.verdict.rawValue) for pair #\(verdict.pairID)", role: role(verdict.verdict))
            let wasFirstReview = state.live?.kind ?? .review == .review
            state.live = next
            state.counts = counts
            // Kept here rather than re-read: one verdict changes only the head of the list,
            // which holds the newest `recentLimit`, as `recentVerdicts` does. Second reviews
            // and adjudications are final and are not browsed back.
            state.recent.removeAll { $0.pairID == verdict.pairID }
            if wasFirstReview { state.recent.insert(verdict, at: 0) }
            if state.recent.count > ReviewState.recentLimit { state.recent.removeLast(state.recent.count - ReviewState.recentLimit) }
            state.draftNote = ""
            return []
        case let .corrected(verdict, pair, recent):
            state.message = StatusMessage(text: "Changed: pair #\(verdict.pairID) is now \(verdict.verdict.rawValue)", role: role(verdict.verdict))
            state.browsed = pair
            state.recent = recent
            state.browseIndex = recent.firstIndex { $0.pairID == pair.id } ?? state.browseIndex
            return []
        case let .undone(pair, counts, recent):
            state.counts = counts
            state.recent = recent
            state.browsed = nil
            state.browseIndex = nil
            if let pair {
                state.live = pair
                state.draftNote = ""
                state.message = StatusMessage(text: "Undone: your verdict on pair #\(pair.id) is withdrawn; it is back in hand", role: .warning)
            } else {
                state.message = StatusMessage(text: "Nothing to undo", role: .dim)
            }
            return []
        case let .loaded(pair):
            state.browsed = pair
            return []
        case let .revealed(pairID, field):
            if state.revealedPair != pairID {
                state.revealedPair = pairID
                state.revealedFields = []
                state.revealedAll = false
            }
            if let field { state.revealedFields.insert(field) } else { state.revealedAll = true }
            state.message = StatusMessage(text: field == nil ? "Revealed the whole pair (logged)" : "Revealed this row (logged)", role: .warning)
            return []
        case let .failed(text):
            state.message = StatusMessage(text: text, role: .warning)
            return []
        case let .key(key):
            return handle(key, &state)
        }
    }

    private static func role(_ verdict: Verdict) -> Role {
        switch verdict {
        case .match: return .match
        case .nonMatch: return .nonMatch
        case .unsure: return .unsure
        }
    }

    /// What leaving asks for: the pair or group in hand goes back.
    private static func quitting(_ state: ReviewState) -> [ReviewCommand] {
        if let group = state.group { return [.releaseGroup(group.pairIDs), .quit(releasing: nil)] }
        return [.quit(releasing: state.live?.id)]
    }

    private static func handle(_ key: Key, _ state: inout ReviewState) -> [ReviewCommand] {
        guard let action = Action.action(for: key, on: state.keyScreen) else { return [] }
        if state.editor != nil { return edit(action, key, &state) }
        if state.showingHelp {
            state.showingHelp = false  // any key closes the help
            return []
        }
        state.message = nil
        if let commands = common(action, &state) { return commands }
        if state.byRecord { return handleByRecord(action, key, &state) }
        switch action {
        case .match, .nonMatch, .unsure:
            let verdict: Verdict = action == .match ? .match : (action == .nonMatch ? .nonMatch : .unsure)
            if let browsed = state.browsed {
                return [.correct(pairID: browsed.id, verdict, note: browsed.note)]
            }
            guard let live = state.live else { return [] }
            return [.decide(pairID: live.id, verdict, note: state.draftNote.isEmpty ? nil : state.draftNote,
                            shown: state.blind || live.isAudit ? nil : live.score, skipped: state.skipped)]
        case .skip:
            guard let live = state.live else { return [] }
            state.skipped.insert(live.id)
            state.message = StatusMessage(text: "Skipped pair #\(live.id): back in the queue", role: .dim)
            return [.skip(pairID: live.id, skipped: state.skipped)]
        case .jump:
            guard let live = state.live, case let .character(digit) = key, let number = digit.wholeNumberValue else { return [] }
            let targets = ContextPanel.jumpTargets(live, state)
            guard number >= 1, number <= targets.count else {
                state.message = StatusMessage(text: targets.isEmpty ? "No pending candidate to jump to" : "Candidates are numbered 1–\(targets.count)", role: .dim)
                return []
            }
            state.message = StatusMessage(text: "Jumped from pair #\(live.id): it is back in the queue", role: .dim)
            return [.jump(from: live.id, to: targets[number - 1])]
        case .rowUp, .rowDown:
            guard state.masked, let shown = state.shown else { return [] }
            let rows = ReviewView.fieldRows(shown).count
            state.rowCursor = max(0, min(rows - 1, state.rowCursor + (action == .rowUp ? -1 : 1)))
            return []
        case .reveal, .revealAll:
            guard let shown = state.shown else { return [] }
            guard state.masked else {
                state.message = StatusMessage(text: "Nothing is masked", role: .dim)
                return []
            }
            if action == .revealAll { return [.reveal(pairID: shown.id, field: nil, fieldName: nil)] }
            let rows = ReviewView.fieldRows(shown)
            guard !rows.isEmpty else { return [] }
            let field = rows[min(state.rowCursor, rows.count - 1)]
            return [.reveal(pairID: shown.id, field: field, fieldName: shown.fields[field])]
        case .note:
            if let browsed = state.browsed, let verdict = browsed.verdict {
                state.editor = NoteEditor(text: browsed.note ?? "", target: .verdict(browsed.id, verdict))
            } else if state.live != nil {
                state.editor = NoteEditor(text: state.draftNote, target: .draft)
            }
            return []
        case .undo:
            return [.undo(releasing: state.live?.id)]
        case .previous:
            let index = (state.browseIndex ?? -1) + 1
            guard index < state.recent.count else {
                state.message = StatusMessage(text: state.recent.isEmpty ? "No verdicts of yours yet" : "That is your oldest verdict here", role: .dim)
                return []
            }
            state.browseIndex = index
            return [.load(pairID: state.recent[index].pairID)]
        case .next:
            guard let index = state.browseIndex else { return [] }
            if index == 0 {
                state.browseIndex = nil
                state.browsed = nil
                return []
            }
            state.browseIndex = index - 1
            return [.load(pairID: state.recent[index - 1].pairID)]
        case .blind, .theme, .help, .quit:
            return []  // `common`
        case .claimUp, .claimDown, .expireClaim, .reassignClaim, .switchView, .confirm, .cancel, .cursorLeft, .cursorRight,
             .deleteBackward, .deleteForward, .type, .closeHelp:
            return []  // the dashboard's and the overlays' keys: never bound on the review screens
        case .chooseCandidate, .noneMatch, .keepOthers:
            return []  // one-record review's keys
        }
    }

    /// Keys that work alike in pair and one-record review; nil for the others.
    private static func common(_ action: Action, _ state: inout ReviewState) -> [ReviewCommand]? {
        switch action {
        case .blind:
            state.blind.toggle()
        case .theme:
            let names = Theme.builtInNames
            state.themeName = names[((names.firstIndex(of: state.themeName) ?? -1) + 1) % names.count]
            state.message = StatusMessage(text: "Theme: \(state.themeName)", role: .dim)
        case .help:
            state.showingHelp = true
        case .quit:
            state.exitStatus = 0
            return quitting(state)
        default:
            return nil
        }
        return []
    }

    /// Keys in one-record review: choose the match (or none), then confirm what the others are.
    private static func handleByRecord(_ action: Action, _ key: Key, _ state: inout ReviewState) -> [ReviewCommand] {
        switch action {
        case .chooseCandidate, .noneMatch:
            guard let group = state.group, state.groupChoice == nil else { return [] }
            var choice = GroupChoice.none
            if action == .chooseCandidate {
                guard case let .character(digit) = key, let number = digit.wholeNumberValue,
                      number >= 1, number <= group.candidates.count else {
                    state.message = StatusMessage(text: "Candidates are numbered 1–\(group.candidates.count)", role: .dim)
                    return []
                }
                choice = .match(group.candidates[number - 1].id)
            }
            // With one candidate there are no others to confirm.
            if group.candidates.count == 1 {
                if case let .match(pair) = choice { return [.decideGroup(group.pairIDs, match: pair, othersAreNonMatches: false, skipped: state.skipped)] }
                return [.decideGroup(group.pairIDs, match: nil, othersAreNonMatches: true, skipped: state.skipped)]
            }
            state.groupChoice = choice
            return []
        case .confirm, .keepOthers:
            guard let group = state.group, let choice = state.groupChoice else { return [] }
            switch choice {
            case let .match(pair):
                return [.decideGroup(group.pairIDs, match: pair, othersAreNonMatches: action == .confirm, skipped: state.skipped)]
            case .none:
                guard action == .confirm else { return [] }  // "none match, the others undecided" decides nothing
                return [.decideGroup(group.pairIDs, match: nil, othersAreNonMatches: true, skipped: state.skipped)]
            }
        case .cancel:
            state.groupChoice = nil
            return []
        case .skip:
            guard let group = state.group else { return [] }
            state.skipped.formUnion(group.pairIDs)
            state.message = StatusMessage(text: "Skipped \(group.record.uniqueID): its candidates are back in the queue", role: .dim)
            return [.skipGroup(group.pairIDs, skipped: state.skipped)]
        case .undo:
            guard let last = state.decidedGroups.last else {
                state.message = StatusMessage(text: "Nothing to undo", role: .dim)
                return []
            }
            return [.undoGroup(last, releasing: state.group?.pairIDs ?? [])]
        default:
            return []
        }
    }

    private static func edit(_ action: Action, _ key: Key, _ state: inout ReviewState) -> [ReviewCommand] {
        guard var editor = state.editor else { return [] }
        switch action {
        case .cancel:
            state.editor = nil
            state.message = StatusMessage(text: "Note not changed", role: .dim)
            return []
        case .confirm:
            state.editor = nil
            let text = String(editor.text).trimmingCharacters(in: .whitespaces)
            switch editor.target {
            case .draft:
                state.draftNote = text
                state.message = StatusMessage(text: text.isEmpty ? "Note cleared" : "Note kept: it is saved with your verdict", role: .note)
                return []
            case let .verdict(pairID, verdict):
                return [.correct(pairID: pairID, verdict, note: text.isEmpty ? nil : text)]
            }
        case .deleteBackward:
            if editor.cursor > 0 {
                editor.text.remove(at: editor.cursor - 1)
                editor.cursor -= 1
            }
        case .deleteForward:
            if editor.cursor < editor.text.count { editor.text.remove(at: editor.cursor) }
        case .cursorLeft:
            editor.cursor = max(0, editor.cursor - 1)
        case .cursorRight:
            editor.cursor = min(editor.text.count, editor.cursor + 1)
        case .type:
            // Control characters are not note text.
            guard case let .character(character) = key,
                  !character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
                  editor.text.count < 500 else { return [] }
            editor.text.insert(character, at: editor.cursor)
            editor.cursor += 1
        default:
            return []
        }
        state.editor = editor
        return []
    }
}
