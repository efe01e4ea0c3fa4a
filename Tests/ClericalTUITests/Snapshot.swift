import Foundation
import XCTest

/// Compares text with a golden file in `__Snapshots__/`, showing a line diff on mismatch.
/// Set CLERICAL_RECORD_SNAPSHOTS=1 to (re)record; a missing golden is recorded and fails.
func assertSnapshot(_ actual: String, named name: String, file: StaticString = #filePath, line: UInt = #line) {
    let url = snapshotURL(name)
    let record = ProcessInfo.processInfo.environment["CLERICAL_RECORD_SNAPSHOTS"] == "1"
    guard !record, let expected = try? String(contentsOf: url, encoding: .utf8) else {
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! (actual + "\n").write(to: url, atomically: true, encoding: .utf8)
        XCTFail("recorded snapshot \(name); run the tests again", file: file, line: line)
        return
    }
    let expectedText = expected.hasSuffix("\n") ? String(expected.dropLast()) : expected
    guard expectedText != actual else { return }
    let old = expectedText.components(separatedBy: "\n"), new = actual.components(separatedBy: "\n")
    var diff: [String] = []
    for i in 0..<max(old.count, new.count) {
        let a = i < old.count ? old[i] : "", b = i < new.count ? new[i] : ""
        if a != b { diff += ["line \(i + 1):", "- \(a)", "+ \(b)"] }
    }
    XCTFail("snapshot \(name) differs (CLERICAL_RECORD_SNAPSHOTS=1 re-records):\n\(diff.joined(separator: "\n"))", file: file, line: line)
}

func snapshotURL(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("__Snapshots__/\(name).txt")
}
