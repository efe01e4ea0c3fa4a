import ClericalCore
@testable import ClericalTUI
import XCTest

final class ThemeTests: XCTestCase {
    func testEveryBuiltInThemeLoadsAndCoversEveryRole() throws {
        for name in Theme.builtInNames {
            let theme = try Theme.load(name)
            XCTAssertEqual(theme.name, name)
            XCTAssertEqual(Set(theme.looks.keys), Set(Role.allCases), "\(name) leaves roles out")
        }
    }

    /// No meaning may rest on red against green: agree/different and the evidence signs
    /// differ in something other than a red–green hue.
    func testColourBlindSafeThemeUsesNoRedGreenContrast() throws {
        let theme = try Theme.load("colour-blind-safe")
        let redGreen: Set<Int> = [1, 2, 9, 10, 22, 28, 34, 40, 46, 82, 88, 124, 160, 196]
        for role in [Role.agree, .different, .evidencePositive, .evidenceNegative, .match, .nonMatch, .diff] {
            if case let .index(i) = theme.look(role).foreground {
                XCTAssertFalse(redGreen.contains(i), "\(role) uses a red or green colour (\(i))")
            }
        }
        XCTAssertTrue(theme.look(.different).bold, "difference also carried by bold")
    }

    func testColoursResolveOnEightColourTerminals() {
        XCTAssertEqual(ThemeColor.index(9).resolved(available: 8), 1, "bright red → red")
        XCTAssertEqual(ThemeColor.index(208).resolved(available: 8), 3, "orange → yellow")
        XCTAssertEqual(ThemeColor.index(21).resolved(available: 8), 4, "blue → blue")
        XCTAssertEqual(ThemeColor.index(208).resolved(available: 256), 208)
        XCTAssertEqual(ThemeColor.terminalDefault.resolved(available: 8), -1)
    }

    func testBadThemeFilesNameTheFileAndTheKey() {
        let cases: [(String, String)] = [
            ("name = \"x\"\n[roles]\nagree = { fg = \"grean\" }\n", "roles.agree.fg: not a colour"),
            ("name = \"x\"\n[roles]\nagreement = { fg = \"green\" }\n", "roles.agreement: unknown role"),
            ("name = \"x\"\n[roles]\nagree = { bold = \"yes\" }\n", "roles.agree.bold: expected true or false"),
            ("name = \"x\"\n[roles]\nagree = { blink = true }\n", "roles.agree.blink: unknown attribute"),
            ("name = \"x\"\ncolour = 1\n[roles]\n", "colour: unknown key"),
            ("name = \"x\"\n", "roles: missing"),
            ("name = \n", "not valid TOML"),
            // Headers that made toml++ abort the process (found by the theme fuzz target).
            ("name = \"x\"\n[# roles]\n", "mine.toml:2:2: not valid TOML: a table header needs a name"),
            ("[[é]]\n", "a table header needs a name"),
            ("[\n", "a table header needs a name"),
            ("[\u{07A6}\"\n", "a table header needs a name"),  // "[" and a combining mark: one Character
            ("#\n[roles]\nnormal = [}\n", "mine.toml:3: not valid in a theme: a value is a string"),
            ("[roles]\nagree = { fg = [} }\n", "never an array"),
        ]
        for (text, phrase) in cases {
            XCTAssertThrowsError(try Theme.parse(text, file: "mine.toml"), phrase) { error in
                let error = error as! ClericalError
                XCTAssertEqual(error.status, .dataError)
                XCTAssertTrue(error.description.hasPrefix("mine.toml"), error.description)
                XCTAssertTrue(error.description.contains(phrase), "«\(phrase)» not in «\(error.description)»")
            }
        }
        XCTAssertThrowsError(try Theme.load("neon")) { error in
            XCTAssertTrue("\(error)".contains("no theme named \"neon\""))
        }
    }

    func testActionTableDrivesTheKeymap() {
        XCTAssertEqual(Action.action(for: .character("m"), on: .review), .match)
        XCTAssertEqual(Action.action(for: .left, on: .review), .previous)
        XCTAssertNil(Action.action(for: .character("s"), on: .browsing), "skip does nothing while browsing")
        XCTAssertNil(Action.action(for: .character("m"), on: .empty))
        XCTAssertEqual(Action.action(for: .character("q"), on: .tooSmall), .quit)
        XCTAssertNil(Action.action(for: .character("x"), on: .review))
        // The overlays take every key while they are open.
        XCTAssertEqual(Action.action(for: .character("m"), on: .noteEditor), .type)
        XCTAssertEqual(Action.action(for: .enter, on: .noteEditor), .confirm)
        XCTAssertEqual(Action.action(for: .escape, on: .reassigning), .cancel)
        XCTAssertEqual(Action.action(for: .character("q"), on: .reassigning), .type, "q is a letter of a name there")
        XCTAssertNil(Action.action(for: .up, on: .noteEditor))
        XCTAssertEqual(Action.action(for: .character("m"), on: .help), .closeHelp)
        XCTAssertEqual(Action.action(for: .left, on: .help), .closeHelp)
        for screen in [Action.Screen.review, .browsing, .empty, .tooSmall, .dashboard, .help, .noteEditor, .reassigning] {
            let keys = Action.bindings(on: screen).flatMap(\.keys)
            XCTAssertEqual(keys.count, Set(keys).count, "no key is bound twice on \(screen)")
            XCTAssertLessThanOrEqual(Action.bindings(on: screen).filter { $0.input != .keys }.count, 1, "one catch-all on \(screen)")
        }
    }

    /// The prompts' hint lines come from the table and are cut at a whole key.
    func testHintsComeFromTheTable() {
        XCTAssertEqual(Widgets.hint(.reassigning, width: 80), "Enter hands it over · Esc cancels · Backspace deletes")
        XCTAssertEqual(Widgets.hint(.reassigning, width: 30), "Enter hands it over")
        XCTAssertEqual(Widgets.hint(.help, width: 80), "any key closes this help")
    }
}
