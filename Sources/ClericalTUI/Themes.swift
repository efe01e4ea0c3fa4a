import ClericalCore
import Foundation
import TOMLKit

/// A terminal colour: the default, one of the 16 named colours, or a 256-colour index.
public enum ThemeColor: Equatable, Sendable {
    case terminalDefault
    case index(Int)

    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    init?(name: String) {
        if name == "default" { self = .terminalDefault; return }
        if let i = Self.names.firstIndex(of: name) { self = .index(i); return }
        if name.hasPrefix("bright-"), let i = Self.names.firstIndex(of: String(name.dropFirst(7))) { self = .index(8 + i); return }
        return nil
    }

    /// The colour on a terminal with `available` colours: bright colours fall back to their
    /// base on 8-colour terminals, 256-colour indices to the nearest of the first 8 or 16.
    public func resolved(available: Int) -> Int {
        guard case let .index(i) = self else { return -1 }
        if i < available { return i }
        if i < 16 { return i - 8 }
        let rgb = Self.extendedRGB(i)
        let basic = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229)]
        return basic.indices.min { a, b in
            let da = (basic[a].0 - rgb.0) * (basic[a].0 - rgb.0) + (basic[a].1 - rgb.1) * (basic[a].1 - rgb.1) + (basic[a].2 - rgb.2) * (basic[a].2 - rgb.2)
            let db = (basic[b].0 - rgb.0) * (basic[b].0 - rgb.0) + (basic[b].1 - rgb.1) * (basic[b].1 - rgb.1) + (basic[b].2 - rgb.2) * (basic[b].2 - rgb.2)
            return da < db
        }!
    }
}

extension ThemeColor {
    /// The red, green and blue of a colour of the 256-colour palette past the first 16: the
    /// 6×6×6 cube, then the grey ramp (xterm's values).
    static func extendedRGB(_ index: Int) -> (Int, Int, Int) {
        if index >= 232 {
            let level = (index - 232) * 10 + 8
            return (level, level, level)
        }
        let cube = index - 16, steps = [0, 95, 135, 175, 215, 255]
        return (steps[cube / 36], steps[(cube / 6) % 6], steps[cube % 6])
    }
}

/// How one role looks.
public struct RoleLook: Equatable, Sendable {
    public var foreground = ThemeColor.terminalDefault
    public var background = ThemeColor.terminalDefault
    public var bold = false
    public var underline = false
    public var reverse = false
    public var dim = false

    public init() {}
}

/// A colour theme: semantic roles mapped to colours and attributes, read from a TOML file.
///
///     # Themes/default.toml
///     name = "default"
///     [roles]
///     agree = { fg = "green" }
///     different = { fg = "red", bold = true }
public struct Theme: Equatable, Sendable {
    public var name: String
    public var looks: [Role: RoleLook]

    public static let builtInNames = ["default", "high-contrast", "colour-blind-safe", "monochrome"]

    public func look(_ role: Role) -> RoleLook { looks[role] ?? looks[.normal] ?? RoleLook() }

    /// The same theme with every colour dropped, attributes kept: for NO_COLOR and
    /// terminals without colour.
    public var withoutColour: Theme {
        var copy = self
        for (role, var look) in looks {
            look.foreground = .terminalDefault
            look.background = .terminalDefault
            copy.looks[role] = look
        }
        return copy
    }

    /// Loads a built-in theme by name, or a theme file by path.
    /// The theme a screen starts with: monochrome when NO_COLOR is set (and not empty).
    public static var startingName: String {
        (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty ? "default" : "monochrome"
    }

    /// toml++ (inside TOMLKit 0.6.0) aborts the whole process, by failed assertions, on two
    /// kinds of input the theme fuzz target found (Benchmarks/Fuzz/Regressions/theme): a table
    /// header whose name starts with neither a key character, a quote nor `]` (`[#]`, `[é]`, a
    /// lone `[`, `[` and a combining mark), and some malformed arrays (`a = [1,}`). A theme has
    /// no arrays, so one pass over the text, skipping strings and comments, refuses both first,
    /// with their line. By scalars, not Characters: "[" and a combining mark are one Character.
    static func refuseWhatTOMLKitAbortsOn(_ text: String, file: String) throws(ClericalError) {
        let scalars = Array(text.unicodeScalars)
        var i = 0, line = 1, lineStart = 0, atLineStart = true, afterEquals = false
        func isBlank(_ k: Int) -> Bool { k < scalars.count && (scalars[k] == " " || scalars[k] == "\t") }
        func tripleQuote(_ quote: Unicode.Scalar, at k: Int) -> Bool {
            k + 2 < scalars.count && scalars[k] == quote && scalars[k + 1] == quote && scalars[k + 2] == quote
        }
        while i < scalars.count {
            let c = scalars[i]
            if c == "\n" {
                line += 1; lineStart = i + 1; atLineStart = true; afterEquals = false; i += 1
                continue
            }
            if isBlank(i) { i += 1; continue }
            if c == "[" && atLineStart {  // a table header
                var k = i + 1
                if k < scalars.count && scalars[k] == "[" { k += 1 }
                while isBlank(k) { k += 1 }
                let fine = k < scalars.count && scalars[k].isASCII
                    && (scalars[k].properties.isAlphabetic || ("0"..."9").contains(scalars[k]) || "_-'\"]".unicodeScalars.contains(scalars[k]))
                if !fine {
                    throw ClericalError(.dataError, "not valid TOML: a table header needs a name (letters, digits, _ or -, or a quoted name)",
                                        at: InputLocation(file: file, line: line, column: k - lineStart + 1))
                }
                atLineStart = false; i = k
                continue
            }
            atLineStart = false
            if c == "#" {  // a comment runs to the end of the line
                while i < scalars.count && scalars[i] != "\n" { i += 1 }
                continue
            }
            if c == "\"" || c == "'" {  // a string: skipped to its end, or to the line's end if unclosed
                afterEquals = false
                let triple = tripleQuote(c, at: i)
                i += triple ? 3 : 1
                while i < scalars.count {
                    if triple ? tripleQuote(c, at: i) : scalars[i] == c { i += triple ? 3 : 1; break }
                    if scalars[i] == "\n" {
                        if !triple { break }
                        line += 1; lineStart = i + 1
                    }
                    i += c == "\"" && scalars[i] == "\\" && i + 1 < scalars.count && scalars[i + 1] != "\n" ? 2 : 1
                }
                continue
            }
            if c == "[" && afterEquals {
                throw ClericalError(.dataError, "not valid in a theme: a value is a string, a number, true or false, or { … }, never an array",
                                    at: InputLocation(file: file, line: line))
            }
            afterEquals = c == "="
            i += 1
        }
    }

    public static func load(_ nameOrPath: String) throws(ClericalError) -> Theme {
        let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml")
        let path: String
        if isPath {
            path = nameOrPath
        } else {
            guard builtInNames.contains(nameOrPath) else {
                throw ClericalError(.usage, "no theme named \"\(nameOrPath)\": the built-in themes are \(builtInNames.joined(separator: ", ")); or give a theme file's path")
            }
            path = try builtInDirectory() + "/\(nameOrPath).toml"
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClericalError(.noInput, "\(path): no such theme file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ClericalError) -> Theme {
        try refuseWhatTOMLKitAbortsOn(text, file: file)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ClericalError(.dataError, "not valid TOML: \(error.description)",
                                at: InputLocation(file: file, line: error.source.begin.line, column: error.source.begin.column))
        } catch {
            throw ClericalError(.dataError, "not valid TOML", at: InputLocation(file: file))
        }
        func fail(_ key: String, _ message: String) -> ClericalError {
            ClericalError(.dataError, "\(key): \(message)", at: InputLocation(file: file))
        }
        for key in table.keys where !["name", "description", "roles"].contains(key) {
            throw fail(key, "unknown key (a theme has name, description and [roles])")
        }
        var theme = Theme(name: table["name"]?.string ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, looks: [:])
        guard let roles = table["roles"]?.table else { throw fail("roles", "missing: a theme needs a [roles] table") }
        for key in roles.keys {
            guard let role = Role(rawValue: key) else {
                throw fail("roles.\(key)", "unknown role (roles are \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let entry = roles[key]?.table else { throw fail("roles.\(key)", "expected a table such as { fg = \"green\", bold = true }") }
            var look = RoleLook()
            for attribute in entry.keys {
                let name = "roles.\(key).\(attribute)"
                switch attribute {
                case "fg", "bg":
                    let color: ThemeColor
                    if let text = entry[attribute]?.string, let named = ThemeColor(name: text) {
                        color = named
                    } else if let index = entry[attribute]?.int, (0...255).contains(index) {
                        color = .index(index)
                    } else {
                        throw fail(name, "not a colour: use default, black, red, green, yellow, blue, magenta, cyan, white, bright-<colour>, or 0–255")
                    }
                    if attribute == "fg" { look.foreground = color } else { look.background = color }
                case "bold", "underline", "reverse", "dim":
                    guard let value = entry[attribute]?.bool else { throw fail(name, "expected true or false") }
                    switch attribute {
                    case "bold": look.bold = value
                    case "underline": look.underline = value
                    case "reverse": look.reverse = value
                    default: look.dim = value
                    }
                default:
                    throw fail(name, "unknown attribute (use fg, bg, bold, underline, reverse, dim)")
                }
            }
            theme.looks[role] = look
        }
        return theme
    }

    /// Where the built-in themes are: beside the binary in SwiftPM's resource bundle, or in
    /// this checkout's sources; CLERICAL_THEMES overrides both.
    static func builtInDirectory() throws(ClericalError) -> String {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["CLERICAL_THEMES"] { candidates.append(configured) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(executable.appendingPathComponent("clerical_ClericalTUI.resources/Themes").path)
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("clerical_ClericalTUI.resources/Themes").path)
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Themes").path)
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate + "/default.toml") {
            return candidate
        }
        throw ClericalError(.noInput, "the built-in themes were not found (looked in \(candidates.joined(separator: ", "))); set CLERICAL_THEMES to the Themes folder")
    }
}
