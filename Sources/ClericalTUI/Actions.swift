/// A key as the app sees it, decoded by the terminal layer.
public enum Key: Hashable, Sendable {
    case character(Character)
    case left, right, up, down
    case enter, escape, backspace, delete, tab
    case resize
}

/// Every user action, once: its keys, its name, its help text and the screens it works on.
/// The keymap, the footers, the prompts' hints and the help overlay are all generated from
/// this table; a key that is in no row for a screen does nothing there.
public enum Action: String, CaseIterable, Sendable {
    case match, nonMatch, unsure, skip, note, undo, previous, next, blind, theme, help, quit
    /// To one of the numbered pending candidates of the context panel.
    case jump
    /// Masked review: move between the pair's rows, and show the row's values or the whole pair.
    case rowUp, rowDown, reveal, revealAll
    /// One-record review: the candidate that matches (1–9), none of them, and after either the
    /// others' fate (Enter: non-matches; k: back to the queue undecided; Esc: choose again).
    case chooseCandidate, noneMatch, keepOthers
    case claimUp, claimDown, expireClaim, reassignClaim
    /// The dashboard: between the team view and the linkage-quality view.
    case switchView
    /// In the note editor and the dashboard's name prompt.
    case confirm, cancel, cursorLeft, cursorRight, deleteBackward, deleteForward, type
    /// Any key closes the help overlay.
    case closeHelp

    /// Where keys are read: a screen, or an overlay that takes every key while it is open.
    public enum Screen: Sendable { case review, browsing, empty, tooSmall, dashboard, help, noteEditor, reassigning, byRecord, groupConfirm }

    public struct Binding: Sendable {
        /// What the binding answers to besides its `keys`.
        public enum Input: Sendable {
            case keys
            /// Any character typed (text for a note or a name).
            case text
            /// Any key at all.
            case anyKey
        }

        public var action: Action
        public var keys: [Key]
        public var keyLabel: String
        public var name: String
        public var help: String
        public var screens: Set<Screen>
        public var input: Input = .keys
    }

    public static let table: [Binding] = [
        Binding(action: .match, keys: [.character("m")], keyLabel: "m", name: "match",
                help: "the two records are the same person", screens: [.review, .browsing]),
        Binding(action: .nonMatch, keys: [.character("n")], keyLabel: "n", name: "non-match",
                help: "the two records are different people", screens: [.review, .browsing]),
        Binding(action: .unsure, keys: [.character("u")], keyLabel: "u", name: "unsure",
                help: "cannot tell from what is shown", screens: [.review, .browsing]),
        Binding(action: .chooseCandidate, keys: (1...9).map { .character(Character("\($0)")) }, keyLabel: "1–9", name: "match",
                help: "that candidate is the same person as the record", screens: [.byRecord]),
        Binding(action: .noneMatch, keys: [.character("n")], keyLabel: "n", name: "none",
                help: "no candidate is the same person as the record", screens: [.byRecord]),
        Binding(action: .skip, keys: [.character("s")], keyLabel: "s", name: "skip",
                help: "hand the pair or group back to the queue, undecided", screens: [.review, .byRecord]),
        Binding(action: .jump, keys: (1...9).map { .character(Character("\($0)")) }, keyLabel: "1–9", name: "jump",
                help: "take that pending candidate; this pair goes back", screens: [.review]),
        Binding(action: .reveal, keys: [.character("r")], keyLabel: "r", name: "reveal",
                help: "masked: show this row's two values in full (logged)", screens: [.review, .browsing]),
        Binding(action: .revealAll, keys: [.character("R")], keyLabel: "R", name: "reveal all",
                help: "masked: show the whole pair in full (logged)", screens: [.review, .browsing]),
        Binding(action: .rowUp, keys: [.up, .character("k")], keyLabel: "↑/k", name: "row up",
                help: "masked: select the row above", screens: [.review, .browsing]),
        Binding(action: .rowDown, keys: [.down, .character("j")], keyLabel: "↓/j", name: "row down",
                help: "masked: select the row below", screens: [.review, .browsing]),
        Binding(action: .note, keys: [.character("c")], keyLabel: "c", name: "note",
                help: "write or edit a note (Enter saves, Esc cancels)", screens: [.review, .browsing]),
        Binding(action: .undo, keys: [.character("z")], keyLabel: "z", name: "undo",
                help: "withdraw your last verdict or group; it comes back", screens: [.review, .browsing, .empty, .byRecord]),
        Binding(action: .previous, keys: [.left, .character("h")], keyLabel: "←/h", name: "back",
                help: "browse back through your recent verdicts", screens: [.review, .browsing, .empty]),
        Binding(action: .next, keys: [.right, .character("l")], keyLabel: "→/l", name: "forward",
                help: "browse forward, back to the pair in hand", screens: [.browsing]),
        Binding(action: .blind, keys: [.character("b")], keyLabel: "b", name: "blind",
                help: "hide or show the model's evidence", screens: [.review, .browsing, .byRecord]),
        Binding(action: .theme, keys: [.character("t")], keyLabel: "t", name: "theme",
                help: "next colour theme", screens: [.review, .browsing, .empty, .byRecord]),
        Binding(action: .help, keys: [.character("?")], keyLabel: "?", name: "help",
                help: "show or hide this help", screens: [.review, .browsing, .empty, .byRecord]),
        Binding(action: .claimUp, keys: [.up, .character("k")], keyLabel: "↑/k", name: "up",
                help: "select the claim above", screens: [.dashboard]),
        Binding(action: .claimDown, keys: [.down, .character("j")], keyLabel: "↓/j", name: "down",
                help: "select the claim below", screens: [.dashboard]),
        Binding(action: .expireClaim, keys: [.character("x")], keyLabel: "x", name: "expire",
                help: "end the selected claim now: the pair goes back to the queue", screens: [.dashboard]),
        Binding(action: .reassignClaim, keys: [.character("r")], keyLabel: "r", name: "reassign",
                help: "hand the selected claim to another reviewer (type the name, Enter)", screens: [.dashboard]),
        Binding(action: .switchView, keys: [.tab], keyLabel: "Tab", name: "quality",
                help: "switch between the team view and the linkage-quality view", screens: [.dashboard]),
        Binding(action: .quit, keys: [.character("q")], keyLabel: "q", name: "quit",
                help: "hand back the pair in hand and leave", screens: [.review, .browsing, .empty, .tooSmall, .dashboard, .byRecord]),

        Binding(action: .confirm, keys: [.enter], keyLabel: "Enter", name: "saves",
                help: "keep the note (with the verdict to come, or on the verdict shown)", screens: [.noteEditor]),
        Binding(action: .confirm, keys: [.enter], keyLabel: "Enter", name: "hands it over",
                help: "give the selected claim to the name typed", screens: [.reassigning]),
        Binding(action: .confirm, keys: [.enter], keyLabel: "Enter", name: "non-matches",
                help: "record it; the others are non-matches", screens: [.groupConfirm]),
        Binding(action: .keepOthers, keys: [.character("k")], keyLabel: "k", name: "undecided",
                help: "record only the match; the others go back", screens: [.groupConfirm]),
        Binding(action: .cancel, keys: [.escape], keyLabel: "Esc", name: "choose again",
                help: "take the choice back; nothing is recorded", screens: [.groupConfirm]),
        Binding(action: .cancel, keys: [.escape], keyLabel: "Esc", name: "cancels",
                help: "leave without changing anything", screens: [.noteEditor, .reassigning]),
        Binding(action: .cursorLeft, keys: [.left], keyLabel: "←", name: "left",
                help: "move the cursor one character left", screens: [.noteEditor]),
        Binding(action: .cursorRight, keys: [.right], keyLabel: "→", name: "right",
                help: "move the cursor one character right", screens: [.noteEditor]),
        Binding(action: .deleteBackward, keys: [.backspace], keyLabel: "Backspace", name: "deletes",
                help: "delete the character before the cursor", screens: [.noteEditor, .reassigning]),
        Binding(action: .deleteForward, keys: [.delete], keyLabel: "Del", name: "deletes ahead",
                help: "delete the character under the cursor", screens: [.noteEditor]),
        Binding(action: .type, keys: [], keyLabel: "text", name: "type",
                help: "type the text (control characters are left out)", screens: [.noteEditor, .reassigning], input: .text),
        Binding(action: .closeHelp, keys: [], keyLabel: "any key", name: "closes this help",
                help: "close the help and do nothing else", screens: [.help], input: .anyKey),
    ]

    /// The action a key triggers on a screen, or nil: keys that do nothing there do nothing.
    public static func action(for key: Key, on screen: Screen) -> Action? {
        let bindings = table.lazy.filter { $0.screens.contains(screen) }  // no array per key
        if let bound = bindings.first(where: { $0.keys.contains(key) }) { return bound.action }
        if case .character = key, let text = bindings.first(where: { $0.input == .text }) { return text.action }
        return bindings.first { $0.input == .anyKey }?.action
    }

    /// The actions of one-record review, and of its confirm step.
    public static var byRecordBindings: [Binding] {
        table.filter { !$0.screens.isDisjoint(with: [.byRecord, .groupConfirm]) }
    }

    /// The actions of the review screens (the dashboard has its own).
    public static var reviewBindings: [Binding] {
        table.filter { !$0.screens.isDisjoint(with: [.review, .browsing, .empty]) }
    }

    public static func bindings(on screen: Screen) -> [Binding] {
        table.filter { $0.screens.contains(screen) }
    }
}
