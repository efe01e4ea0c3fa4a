import Foundation
import XCTest

/// The crash harness, short: 20 SIGKILLs at random moments across import, review, reestimate,
/// qa sample and export, each followed by its checks (Benchmarks/Crash/main.swift). The long
/// run is Benchmarks/crash.sh.
final class CrashTests: XCTestCase {
    func testTwentyKillsLoseNothingAndLeaveNothingHalfWritten() throws {
        let work = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let process = Process()
        process.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-crash")
        process.arguments = ["--bin", Binary.productsDirectory.path, "--fixture", Binary.fixture("splink5-febrl3", ""),
                             "--work", work.path, "--kills", "20", "--seed", "\(Int.random(in: 1...1_000_000))"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(process.arguments!.joined(separator: " "))\n\(stdout)\(stderr)")
        let summary = stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(summary.hasPrefix("20 kills"), summary)
        // The review rounds must have given verdicts to check, or the test proves little.
        let acknowledged = summary.split(separator: ";").dropFirst().first.flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
        XCTAssertGreaterThan(acknowledged, 0, summary)
    }
}
