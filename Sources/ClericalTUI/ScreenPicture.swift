import ClericalCore
import Foundation

/// A screen as an SVG picture, in a theme's colours on a dark terminal: what the README shows,
/// drawn from the same `ScreenBuffer` the golden tests read as text.
///
///     let svg = ScreenPicture.svg(ReviewView.render(state), theme: try Theme.load("default"))
public enum ScreenPicture {
    static let cellWidth = 8.4, cellHeight = 17.0, fontSize = 14.0
    static let background = "#1e1e1e", foreground = "#d4d4d4"

    public static func svg(_ buffer: ScreenBuffer, theme: Theme) -> String {
        let width = Double(buffer.width) * cellWidth, height = Double(buffer.height) * cellHeight
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" \
            viewBox="0 0 \(number(width)) \(number(height))" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" \
            font-size="\(number(fontSize))">
            <rect width="100%" height="100%" fill="\(background)"/>

            """
        for y in 0..<buffer.height {
            // Backgrounds first, one rectangle per run of a colour; then the text in runs of one
            // look, a wide or combined grapheme on its own so it sits on its own cells.
            var x = 0
            while x < buffer.width {
                let colours = self.colours(buffer.style(x: x, y: y), theme)
                var end = x + 1
                while end < buffer.width, self.colours(buffer.style(x: end, y: y), theme).background == colours.background { end += 1 }
                if colours.background != background {
                    out += "<rect x=\"\(number(Double(x) * cellWidth))\" y=\"\(number(Double(y) * cellHeight))\" "
                        + "width=\"\(number(Double(end - x) * cellWidth))\" height=\"\(number(cellHeight))\" fill=\"\(colours.background)\"/>\n"
                }
                x = end
            }
            x = 0
            while x < buffer.width {
                let style = buffer.style(x: x, y: y)
                var text = buffer.text(x: x, y: y)
                var end = x + 1
                if isSingleCell(text) {
                    while end < buffer.width, buffer.style(x: end, y: y) == style, isSingleCell(buffer.text(x: end, y: y)) {
                        text += buffer.text(x: end, y: y)
                        end += 1
                    }
                } else {
                    while end < buffer.width, buffer.text(x: end, y: y).isEmpty { end += 1 }  // a wide character's second cell
                }
                if !text.allSatisfy({ $0 == " " }) {
                    out += element(text, x: x, y: y, cells: end - x, style: style, theme: theme)
                }
                x = end
            }
        }
        return out + "</svg>\n"
    }

    private static func isSingleCell(_ grapheme: String) -> Bool {
        grapheme.unicodeScalars.count == 1 && DisplayText.width(grapheme) == 1
    }

    /// One run of text on its `cells`, stretched to them exactly (fonts differ in advance).
    private static func element(_ text: String, x: Int, y: Int, cells: Int, style: CellStyle, theme: Theme) -> String {
        let look = theme.look(style.role)
        var attributes = "x=\"\(number(Double(x) * cellWidth))\" y=\"\(number(Double(y) * cellHeight + cellHeight * 0.78))\" "
            + "textLength=\"\(number(Double(cells) * cellWidth))\" lengthAdjust=\"spacingAndGlyphs\" "
            + "fill=\"\(colours(style, theme).foreground)\""
        if look.bold || style.bold { attributes += " font-weight=\"bold\"" }
        if look.underline || style.underline { attributes += " text-decoration=\"underline\"" }
        if look.dim { attributes += " opacity=\"0.6\"" }
        return "<text \(attributes) xml:space=\"preserve\">\(escaped(text))</text>\n"
    }

    private static func colours(_ style: CellStyle, _ theme: Theme) -> (foreground: String, background: String) {
        let look = theme.look(style.role)
        let fg = hex(look.foreground) ?? foreground, bg = hex(look.background) ?? background
        return look.reverse ? (bg, fg) : (fg, bg)
    }

    /// xterm's palette: 16 named colours, then the cube and grey ramp (`ThemeColor.extendedRGB`).
    static func hex(_ colour: ThemeColor) -> String? {
        guard case let .index(i) = colour else { return nil }
        let named = ["#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
                     "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]
        if i < 16 { return named[max(0, i)] }
        let (r, g, b) = ThemeColor.extendedRGB(i)
        let digits = Array("0123456789abcdef")
        return "#" + String([r, g, b].flatMap { [digits[$0 / 16], digits[$0 % 16]] })
    }

    private static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}
