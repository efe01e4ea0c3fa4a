import Foundation
import XCTest

/// The man page and completion scripts in Documentation/ are what the generators make of the
/// commands as they stand (`bash Scripts/shell-files.sh` regenerates them).
final class ShellFilesTests: XCTestCase {
    let documentation = Binary.checkout.appendingPathComponent("Documentation")

    func testCompletionScriptsAreFresh() throws {
        for (shell, file) in [("bash", "clerical.bash"), ("zsh", "_clerical"), ("fish", "clerical.fish")] {
            let run = try Binary.run(["--generate-completion-script", shell])
            XCTAssertEqual(run.status, 0, run.stderr)
            let committed = try String(contentsOf: documentation.appendingPathComponent("completions/\(file)"), encoding: .utf8)
            XCTAssertEqual(committed, run.stdout, "\(file) is stale: run bash Scripts/shell-files.sh")
        }
    }

    /// The page is made by a plugin that builds in release mode (too slow for the tests); it
    /// must at least name every command `clerical --help` lists, and every option of review.
    func testTheManPageNamesEveryCommand() throws {
        let page = try String(contentsOf: documentation.appendingPathComponent("man/clerical.1"), encoding: .utf8)
        let help = try Binary.run(["--help"]).stdout
        let commands = help.components(separatedBy: "SUBCOMMANDS:").last!.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { return nil }
            return String(name)
        }.filter { $0 != "See" }
        XCTAssertGreaterThan(commands.count, 10, help)
        for command in commands {
            XCTAssertTrue(page.contains(".It Em \(command)"), "the man page lacks \(command): run bash Scripts/shell-files.sh")
        }
        let reviewHelp = try Binary.run(["review", "--help"]).stdout
        for option in reviewHelp.split(separator: " ").filter({ $0.hasPrefix("--") && $0.count > 3 }).map({ $0.trimmingCharacters(in: .punctuationCharacters.subtracting(["-"])) }) {
            XCTAssertTrue(page.contains(String(option.dropFirst(2))), "the man page lacks review \(option): run bash Scripts/shell-files.sh")
        }
    }
}
