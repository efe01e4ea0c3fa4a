@preconcurrency import CNcursesw
import ClericalCore
import Foundation

/// What the screen's loop gets from the terminal.
public enum TerminalInput: Equatable, Sendable {
    case key(Key)
    /// SIGINT, SIGTERM or SIGHUP arrived.
    case signal(Int32)
    /// The terminal went away (hang-up, end of file, read error), with or without SIGHUP.
    case hangUp
    /// Nothing within the poll interval.
    case idle

    /// How a screen ends on this input: 128 + the signal, and 129 (as SIGHUP) for a hang-up.
    public var exitStatus: Int32? {
        switch self {
        case .signal(let number): 128 + number
        case .hangUp: 128 + SIGHUP
        case .key, .idle: nil
        }
    }
}

/// The only code that talks to curses. It draws a `ScreenBuffer` by writing just the cells
/// that changed since the last frame, and decodes keys.
@MainActor
public final class CursesTerminal {
    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private var previous: ScreenBuffer?
    private var theme: Theme
    private var pairs: [Role: Int16] = [:]
    private let colourCount: Int
    public let usesColour: Bool

    /// Prepares the terminal, or explains why it cannot: not a terminal, TERM unset or
    /// unknown, no UTF-8 locale.
    public init(theme: Theme) throws(ClericalError) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ClericalError(.usage, "the review screen needs a terminal (standard input and output are not one)")
        }
        try Self.useUTF8Locale()
        guard let term = ProcessInfo.processInfo.environment["TERM"], !term.isEmpty else {
            throw ClericalError(.configuration, "TERM is not set, so the terminal type is unknown; set it, for example TERM=xterm-256color")
        }
        // newterm, unlike initscr, returns NULL for an unknown TERM instead of exiting.
        guard let screen = newterm(nil, stdout, stdin) else {
            throw ClericalError(.configuration, "TERM=\(term) is not a terminal type this system knows; try TERM=xterm-256color")
        }
        self.screen = screen
        window = stdscr!
        let wantsColour = ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
        usesColour = wantsColour && has_colors()
        if usesColour {
            start_color()
            use_default_colors()
        }
        colourCount = usesColour ? Int(clerical_colors()) : 0
        self.theme = usesColour ? theme : theme.withoutColour
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        curs_set(0)
        set_escdelay(25)
        wtimeout(window, 0)
        clerical_install_signal_handlers()
        applyTheme()
    }

    /// Wide characters need a UTF-8 locale: the user's, else C.UTF-8.
    static func useUTF8Locale() throws(ClericalError) {
        setlocale(LC_ALL, "")
        if String(cString: clerical_codeset()) == "UTF-8" { return }
        if setlocale(LC_ALL, "C.UTF-8") != nil, String(cString: clerical_codeset()) == "UTF-8" { return }
        throw ClericalError(.configuration, "no UTF-8 locale is available (tried the environment's and C.UTF-8); names would not render")
    }

    public func setTheme(_ theme: Theme) {
        self.theme = usesColour ? theme : theme.withoutColour
        applyTheme()
        previous = nil  // repaint everything in the new colours
    }

    private func applyTheme() {
        pairs = [:]
        guard usesColour else { return }
        for (index, role) in Role.allCases.enumerated() {
            let look = theme.look(role)
            let number = Int16(index + 1)
            init_pair(number, Int16(look.foreground.resolved(available: colourCount)),
                      Int16(look.background.resolved(available: colourCount)))
            pairs[role] = number
        }
    }

    public var size: (width: Int, height: Int) {
        (Int(clerical_cols(window)), Int(clerical_lines(window)))
    }

    /// Writes the cells that differ from the last frame, grouped into runs of one style.
    public func draw(_ buffer: ScreenBuffer) {
        let full = previous == nil || previous!.width != buffer.width || previous!.height != buffer.height
        if full { werase(window) }
        for y in 0..<buffer.height {
            var x = 0
            while x < buffer.width {
                if !full, let previous, buffer.sameCell(x: x, y: y, as: previous) { x += 1; continue }
                let style = buffer.style(x: x, y: y)
                var run = "", end = x
                while end < buffer.width, buffer.style(x: end, y: y) == style,
                      full || !(previous.map { buffer.sameCell(x: end, y: y, as: $0) } ?? false) || buffer.text(x: end, y: y).isEmpty {
                    run += buffer.text(x: end, y: y)
                    end += 1
                }
                // Never start a run on the second half of a wide character.
                if buffer.text(x: x, y: y).isEmpty && x > 0 { x -= 1; run = buffer.text(x: x, y: y) + run }
                setStyle(style)
                // The last cell of the screen would scroll it: write one short.
                if y == buffer.height - 1 && end == buffer.width, let last = run.last {
                    run = String(run.dropLast(last == " " ? 1 : 0))
                }
                mvwaddstr(window, Int32(y), Int32(x), run)
                x = max(end, x + 1)
            }
        }
        wrefresh(window)
        previous = buffer
    }

    private func setStyle(_ style: CellStyle) {
        let look = theme.look(style.role)
        var attributes = clerical_A_NORMAL()
        if look.bold || style.bold { attributes |= clerical_A_BOLD() }
        if look.underline || style.underline { attributes |= clerical_A_UNDERLINE() }
        if look.reverse { attributes |= clerical_A_REVERSE() }
        if look.dim { attributes |= clerical_A_DIM() }
        // wattr_set ignores colour bits in attributes: the pair goes in its own argument.
        wattr_set(window, attributes, pairs[style.role] ?? 0, nil)
    }

    /// What the terminal has for the screen's loop: a key, a signal, the terminal gone, or
    /// nothing within the 100 ms poll interval (so periodic work gets its turn).
    ///
    /// curses cannot tell a timeout from a terminal that has gone away: both read as ERR, and a
    /// hung-up terminal returns ERR at once, so a loop on `wget_wch` alone spins at a full core
    /// when SSH drops without SIGHUP reaching the process. So the loop waits in `poll` on the
    /// descriptor itself, which reports the hang-up (POLLHUP/POLLERR) or end of file (readable,
    /// yet nothing to read).
    public func nextInput() -> TerminalInput {
        let signal = takeSignal()
        if signal != 0 { return .signal(signal) }
        // Keys curses has already read (several can come in one read) are not on the descriptor.
        if let key = readBufferedKey() { unreadableWakeUps = 0; return .key(key) }
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 100)
        let caught = takeSignal()
        if caught != 0 { return .signal(caught) }
        guard ready > 0 else {
            unreadableWakeUps = 0
            return .idle
        }
        if Int32(descriptor.revents) & (POLLHUP | POLLERR | POLLNVAL) != 0 { return .hangUp }
        if let key = readBufferedKey() { unreadableWakeUps = 0; return .key(key) }
        // Readable, yet nothing came: end of file. A lone stray byte curses swallowed does not
        // repeat, so three in a row is the terminal gone.
        unreadableWakeUps += 1
        return unreadableWakeUps >= 3 ? .hangUp : .idle
    }

    private var unreadableWakeUps = 0

    /// A key curses can hand over without waiting on the descriptor, or nil.
    private func readBufferedKey() -> Key? {
        wtimeout(window, 0)
        var character: wint_t = 0
        let result = wget_wch(window, &character)
        if result == clerical_ERR() { return nil }
        if result == clerical_KEY_CODE_YES() {
            switch Int32(character) {
            case clerical_KEY_RESIZE(): previous = nil; return .resize
            case clerical_KEY_LEFT(): return .left
            case clerical_KEY_RIGHT(): return .right
            case clerical_KEY_UP(): return .up
            case clerical_KEY_DOWN(): return .down
            case clerical_KEY_BACKSPACE(): return .backspace
            case clerical_KEY_DC(): return .delete
            case clerical_KEY_ENTER(): return .enter
            default: return nil
            }
        }
        switch character {
        case 27: return .escape
        case 10, 13: return .enter
        case 8, 127: return .backspace
        case 9: return .tab
        default:
            guard let scalar = Unicode.Scalar(UInt32(character)) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// A signal caught since the last call (SIGINT, SIGTERM, SIGHUP), or 0.
    private func takeSignal() -> Int32 { clerical_take_signal() }

    /// Gives the terminal back as it was.
    public func end() {
        endwin()
        delscreen(screen)
    }
}
