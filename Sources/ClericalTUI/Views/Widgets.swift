import ClericalCore
import ClericalStore

/// The pieces every screen draws the same way: the header, the progress bar, the footer of
/// keys, and the screen shown when the terminal is too small.
public enum Widgets {
    /// Smaller than this, a screen shows only `tooSmall`.
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public static func isTooSmall(width: Int, height: Int) -> Bool { width < minimumWidth || height < minimumHeight }

    /// Row 0: the title, who is looking at what, an optional badge, and `right` flush right.
    @discardableResult
    public static func header(title: String, context: String, badge: String? = nil, right: String,
                              into buffer: inout ScreenBuffer) -> Int {
        buffer.paint(y: 0, style: CellStyle(.header))
        var x = buffer.put(" \(title) ", x: 0, y: 0, style: CellStyle(.title))
        x += buffer.put(" \(context)", x: x, y: 0, style: CellStyle(.header), maxWidth: buffer.width / 2)
        if let badge { x += buffer.put(" · \(badge)", x: x, y: 0, style: CellStyle(.warning, bold: true)) }
        buffer.put(right, x: max(x + 1, buffer.width - DisplayText.width(right)), y: 0, style: CellStyle(.header))
        return x
    }

    /// A bar of `width` cells at (1, y), filled for the share of the review done, then its figure.
    public static func progress(_ counts: QueueCounts, width: Int, y: Int, into buffer: inout ScreenBuffer) {
        let done = Double(counts.decided) / Double(max(1, counts.forReview))
        let filled = min(width, Int((done * Double(width)).rounded(.down)))
        buffer.put(" ", x: 0, y: y)
        buffer.repeatCharacter("█", count: filled, x: 1, y: y, style: CellStyle(.agree))
        buffer.repeatCharacter("░", count: width - filled, x: 1 + filled, y: y, style: CellStyle(.dim))
        buffer.put(" \(NumberText.padded(String(Int(done * 100)), 3))% of \(counts.forReview) for review", x: 1 + width, y: y)
    }

    /// The last row: the keys of `screen` from the action table. When they do not fit the width,
    /// the `optional` ones give way first (in that order), then the row is cut at a whole key.
    /// `inactive` keys do nothing in the screen's present mode and are left out.
    public static func footer(_ screen: Action.Screen, optional: [Action] = [], inactive: Set<Action> = [],
                              into buffer: inout ScreenBuffer) {
        let y = buffer.height - 1
        buffer.paint(y: y, style: CellStyle(.footer))
        var bindings = Action.bindings(on: screen).filter { !inactive.contains($0.action) }
        for action in optional where width(of: bindings) > buffer.width {
            bindings.removeAll { $0.action == action }
        }
        while width(of: bindings) > buffer.width, !bindings.isEmpty { bindings.removeLast() }
        var x = 0
        for binding in bindings {
            x += buffer.put(" \(binding.keyLabel)", x: x, y: y, style: CellStyle(.key))
            x += buffer.put(" \(binding.name) ", x: x, y: y, style: CellStyle(.footer))
        }
    }

    private static func width(of bindings: [Action.Binding]) -> Int {
        bindings.reduce(0) { $0 + DisplayText.width($1.keyLabel) + DisplayText.width($1.name) + 3 }
    }

    /// A prompt's keys as one line ("Enter save · Esc cancel · …"), cut at a whole key to `width`.
    public static func hint(_ screen: Action.Screen, width: Int) -> String {
        var line = ""
        for binding in Action.bindings(on: screen) where binding.input != .text {
            let item = (line.isEmpty ? "" : " · ") + "\(binding.keyLabel) \(binding.name)"
            guard DisplayText.width(line + item) <= width else { break }
            line += item
        }
        return line
    }

    /// Instead of a screen that cannot fit: what size is needed, and how to leave.
    public static func tooSmall(into buffer: inout ScreenBuffer) {
        let quit = Action.bindings(on: .tooSmall).first { $0.action == .quit }
        let lines = [
            "Enlarge the window to at least \(minimumWidth)×\(minimumHeight)",
            "(it is \(buffer.width)×\(buffer.height) now).",
            quit.map { "\($0.keyLabel) \($0.name)" } ?? "",
        ]
        let top = max(0, buffer.height / 2 - 1)
        for (i, line) in lines.enumerated() where top + i < buffer.height {
            let x = max(0, (buffer.width - DisplayText.width(line)) / 2)
            buffer.put(line, x: x, y: top + i, style: CellStyle(i == 0 ? .warning : .normal))
        }
    }
}
