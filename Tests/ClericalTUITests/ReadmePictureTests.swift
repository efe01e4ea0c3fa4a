import ClericalCore
import ClericalStore
@testable import ClericalTUI
import Foundation
import XCTest

/// The README's pictures are renders of the real screens: this test draws them afresh and
/// fails when the committed ones differ. `CLERICAL_RECORD_PICTURES=1 swift test --filter
/// ReadmePictureTests` writes them again.
final class ReadmePictureTests: XCTestCase {
    static let pictures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Documentation/pictures")

    func check(_ svg: String, _ name: String) throws {
        let url = Self.pictures.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["CLERICAL_RECORD_PICTURES"] == "1" {
            try FileManager.default.createDirectory(at: Self.pictures, withIntermediateDirectories: true)
            try svg.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let committed = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(committed, svg, "\(name) is stale: CLERICAL_RECORD_PICTURES=1 swift test --filter ReadmePictureTests")
    }

    /// The review screen on the candidates fixture: a link, the pattern's history, candidates.
    func testTheReviewScreenPicture() throws {
        let (folder, path) = try ContextPanelTests.makeQueue()
        defer { try? FileManager.default.removeItem(at: folder) }
        let screen = try ContextPanelTests.started(path, width: 120, height: 40)
        try ContextPanelTests.onPairOne(screen)
        defer { screen.session.queue.close() }
        let svg = ScreenPicture.svg(screen.frame(), theme: try Theme.load("default"))
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("CUS-0000101") && svg.contains(">王<"))
        try check(svg, "review.svg")
    }

    func testTheDashboardPicture() throws {
        let svg = ScreenPicture.svg(DashboardView.render(DashboardTests.goldenState(width: 120, height: 40)), theme: try Theme.load("default"))
        XCTAssertTrue(svg.contains("justice.db"))
        try check(svg, "dashboard.svg")
    }
}
