import Foundation
import XCTest

/// The crash harness, short: 20 SIGKILLs at random moments across import, review, reestimate,
/// qa sample and export, each followed by its checks (Benchmarks/Crash/main.swift). The long
/// run is Benchmarks/crash.sh.
final class CrashTests: XCTestCase {
    func testTwentyKillsLoseNothingAndLeaveNothingHalfWritten() throws {
        let work = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let arguments = ["--bin", Binary.productsDirectory.path, "--fixture", Binary.fixture("splink5-febrl3", ""),
                         "--work", work.path, "--kills", "20", "--seed", "\(Int.random(in: 1...1_000_000))"]
        let run = try Binary.run(arguments, tool: "clerical-crash")
        XCTAssertEqual(run.status, 0, "clerical-crash \(arguments.joined(separator: " "))\n\(run.stdout)\(run.stderr)")
        let stdout = run.stdout
        let summary = stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(summary.hasPrefix("20 kills"), summary)
        // The review rounds must have given verdicts to check, or the test proves little.
        let acknowledged = summary.split(separator: ";").dropFirst().first.flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
        XCTAssertGreaterThan(acknowledged, 0, summary)
    }
}
