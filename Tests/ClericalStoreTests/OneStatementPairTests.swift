import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

/// On a server every statement is a round trip, so the screen reads the next pair, its place,
/// the queue's counts and both records' candidates in one (`ContextStatement.statement(readingPair:columns:)`).
/// Run here over a queue file, with the statements counted as they run: one, and what it reads
/// is what the file's own reads give (its place and candidates in two statements of their own).
final class OneStatementPairTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("queue.db").path }

    override func setUp() { folder = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testAPairWithItsContextAndTheCountsIsOneStatement() throws {
        _ = try SplinkImporter.run(queue: path, predictions: Fixture.splink5Dedupe.predictions, model: Fixture.splink5Dedupe.model)
        let queue = try ReviewQueue(path: path, reviewer: "ana")
        defer { queue.close() }
        // Verdicts, matches among them, so that candidates show decided pairs and links.
        var shown: [Int64] = []
        var pair = try queue.claimNext()
        while let current = pair, shown.count < 30 {
            let verdict: Verdict = current.score.matchProbability >= 0.5 || shown.count.isMultiple(of: 5) ? .match : .nonMatch
            pair = try queue.decideAndClaimNext(current.id, verdict, note: nil, shown: current.score).1
            shown.append(current.id)
        }
        if let inHand = pair { shown.append(inHand.id) }
        XCTAssertGreaterThan(shown.count, 10)

        var withCandidates = 0, withLinks = 0
        for id in shown {
            var ran = 0
            let (read, counts, newestModel) = try queue.access { db in
                try PairLoader(prepare: { sql in CountedStatement(try queue.prepare(db)(sql)) { ran += 1 } },
                               evidence: queue.evidence, reviewer: "ana")
                    .load(id, kind: .review, withVerdict: false, withContext: true, counting: true)
            }
            XCTAssertEqual(ran, 1, "pair \(id): one statement")
            let expected = try queue.pair(id)
            XCTAssertEqual(read.context, expected.context, "pair \(id)")
            XCTAssertEqual(read.left, expected.left)
            XCTAssertEqual(read.right, expected.right)
            XCTAssertEqual(read.evidence, expected.evidence)
            XCTAssertEqual(counts, try queue.counts())
            XCTAssertEqual(newestModel, try queue.access { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM model_version") })
            if !(read.context.left.isEmpty && read.context.right.isEmpty) { withCandidates += 1 }
            if !read.context.links.isEmpty { withLinks += 1 }
        }
        XCTAssertGreaterThan(withCandidates, 5, "pairs with candidates, so candidates are compared")
        XCTAssertGreaterThan(withLinks, 0, "pairs with links, so links are compared")
        XCTAssertThrowsError(try queue.access { db in
            try PairLoader(prepare: queue.prepare(db), evidence: queue.evidence, reviewer: "ana")
                .load(-7, kind: .review, withVerdict: false, withContext: true, counting: true)
        }) { error in XCTAssertTrue("\(error)".contains("pair -7 is not in the queue"), "\(error)") }
    }
}

/// A statement that tells each time it runs.
private final class CountedStatement<Inner: QueryStatement>: QueryStatement {
    private let inner: Inner
    private let ran: () -> Void

    init(_ inner: Inner, ran: @escaping () -> Void) {
        self.inner = inner
        self.ran = ran
    }

    func bind(_ index: Int32, _ value: Int64) { inner.bind(index, value) }
    func bind(_ index: Int32, _ text: String?) { inner.bind(index, text) }

    func first<T>(_ read: (Inner.Row) throws -> T) throws -> T? {
        ran()
        return try inner.first(read)
    }

    func each(_ read: (Inner.Row) throws -> Void) throws {
        ran()
        try inner.each(read)
    }
}
