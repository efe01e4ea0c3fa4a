import ClericalCore
@testable import ClericalStore
import Foundation
import XCTest

/// A verdict hands back the next pair with its context panel read: on the writer's own
/// connection before the commit when no other process has written since its last transaction
/// (SQLite has kept its page cache), else on the second connection while the commit waits.
/// Either way it is what a read after the commit finds, the verdict just given included.
final class NextPairContextTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testTheContextIsTheSameWhicheverConnectionReadsIt() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model)
        let ana = try ReviewQueue(path: path, reviewer: "ana"), bo = try ReviewQueue(path: path, reviewer: "bo")
        defer { ana.close(); bo.close() }
        var pair = try XCTUnwrap(try ana.claimNext())
        var readBeforeCommit: [Bool] = []
        for step in 0..<6 {
            if step == 3 {
                // Another reviewer's process commits (a claim, then a hand-back): ana's cache is cold again.
                let theirs = try XCTUnwrap(try bo.claimNext())
                try bo.release(theirs.id)
            }
            let before = ana.contextsReadBeforeCommit
            let verdict: Verdict = step.isMultiple(of: 2) ? .match : .nonMatch
            let (_, next, _) = try ana.decideAndClaimNext(pair.id, verdict, note: nil, shown: pair.score)
            readBeforeCommit.append(ana.contextsReadBeforeCommit > before)
            let inHand = try XCTUnwrap(next)
            XCTAssertEqual(inHand.context, try ana.pair(inHand.id).context, "verdict \(step + 1): as a read after the commit finds it")
            pair = inHand
        }
        // The first verdict has no earlier transaction to compare with; the fourth follows bo's writes.
        XCTAssertEqual(readBeforeCommit, [false, true, true, false, true, true])
    }
}
