import Foundation
import XCTest

/// Runs the built `clerical` binary, as a user or a script would.
struct ClericalRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Binary {
    static var productsDirectory: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        fatalError("no .xctest bundle")
        #else
        return Bundle.main.bundleURL
        #endif
    }

    static var clerical: URL { productsDirectory.appendingPathComponent("clerical") }

    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String, _ file: String) -> String {
        checkout.appendingPathComponent("Tests/ClericalStoreTests/Fixtures/\(name)/\(file)").path
    }

    /// Imports a Splink fixture with its model into `queue`, with the review band given (or
    /// the default); returns the run.
    @discardableResult
    static func importFixture(_ name: String = "splink5-febrl3", into queue: String, band: String? = nil) throws -> ClericalRun {
        try run(["import", queue, fixture(name, "predictions.csv"), "--model", fixture(name, "model.json")]
                + (band.map { ["--review-probability", $0] } ?? []))
    }

    @discardableResult
    static func run(_ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil,
                    tool: String = "clerical") throws -> ClericalRun {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent(tool)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and stall the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ClericalRun(status: process.terminationStatus,
                           stdout: String(decoding: stdout, as: UTF8.self),
                           stderr: String(decoding: stderr, as: UTF8.self))
    }
}

func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-e2e-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// What one `clerical-load` process reports (`Benchmarks/Load/main.swift`).
struct LoadReport: Decodable {
    var reviewer: String
    var verdicts: Int
    var lostToExpiredLeases: Int
    var latencies: [Double]
    var errors: [String]
    var decidedPairs: [Int64]
    /// Connections to a PostgreSQL queue lost and made again.
    var reconnections: Int
}

/// Starts one `clerical-load` reviewer process per (queue, reviewer) together (each waits for a
/// common start second, so they really contend), waits for them all, and decodes each report.
func runLoadProcesses(_ reviewers: [(queue: String, reviewer: String)], folder: URL, extra: [String] = []) throws -> [LoadReport] {
    let startAt = Date().timeIntervalSince1970 + 1
    var running: [(Process, String)] = []
    for (n, reviewer) in reviewers.enumerated() {
        let path = folder.appendingPathComponent("load-\(n + 1).json").path
        let process = Process()
        process.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        process.arguments = [reviewer.queue, "--reviewer", reviewer.reviewer, "--report", path, "--start-at", "\(startAt)"] + extra
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        running.append((process, path))
    }
    return try running.map { process, path in
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return try JSONDecoder().decode(LoadReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// The bytes compressed by the system's gzip, as a user's `gzip predictions.csv` would.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let plain = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-gzip-\(UUID().uuidString)")
    try Data(bytes).write(to: plain)
    defer { try? FileManager.default.removeItem(at: plain) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-c", "-n", plain.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let packed = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    return [UInt8](packed)
}
