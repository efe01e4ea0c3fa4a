import ClericalCore
@testable import ClericalPostgres
@testable import ClericalStore
import Foundation
import XCTest

/// The review screen reads a pair and what surrounds it with one text of SQL on both backends
/// (`PairLoader`, `ContextLoader`): a pair read from a server queue is the pair read from the
/// file it was copied from, candidates, links, history and audit mark included.
final class PairLoadingParityTests: XCTestCase {
    func testAPairWithItsContextReadsTheSameOnBothBackends() throws {
        let server = try postgresTestServer()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("queue.db").path
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ClericalStoreTests/Fixtures/splink5-febrl3")
        _ = try SplinkImporter.run(queue: path, predictions: fixture.appendingPathComponent("predictions.csv").path,
                                   model: fixture.appendingPathComponent("model.json").path)

        // Verdicts by the server's session role, so that its standing verdicts and links show on
        // both sides; then an audit, so that some pairs are marked.
        let schema = "clerical_loading_\(UUID().uuidString.prefix(8).lowercased())"
        let queueURL = url(server, schema: schema)
        let role = try PostgresAddress(url: queueURL).user
        let file = try ReviewQueue(path: path, reviewer: role)
        var decided: [Int64] = []
        var pair = try file.claimNext()
        while let current = pair, decided.count < 40 {
            let verdict: Verdict = current.score.matchProbability >= 0.5 || decided.count.isMultiple(of: 7) ? .match : .nonMatch
            pair = try file.decideAndClaimNext(current.id, verdict, note: nil, shown: current.score).1
            decided.append(current.id)
        }
        if let unfinished = pair { try file.release(unfinished.id) }
        XCTAssertGreaterThan(decided.count, 10)
        _ = try QualityAudit.draw(queue: path, AuditRequest(size: .count(20)), by: role)

        _ = try QueueCopy.run(from: path, to: queueURL, account: role)
        let link = try PostgresLink.open(try PostgresAddress(url: queueURL))
        defer {
            try? link.run("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            link.close()
        }
        let work = try PostgresReviewWork(url: queueURL)
        defer { work.close() }
        let audited = try link.queueRows("SELECT pair_id FROM audit_pair ORDER BY pair_id LIMIT 5", []).map { $0.int64("pair_id") }
        let pending = try link.queueRows("SELECT id FROM pair WHERE state = 'pending' ORDER BY id LIMIT 5", []).map { $0.int64("id") }
        XCTAssertEqual(audited.count, 5)
        var withLinks = 0
        for id in decided + audited + pending {
            let fromFile = try file.pair(id), fromServer = try work.pair(id)
            XCTAssertEqual(fromServer, fromFile, "pair \(id)")
            if !fromFile.context.links.isEmpty { withLinks += 1 }
        }
        XCTAssertGreaterThan(withLinks, 0, "some pairs shown with links, so the links are compared")

        // The counts a verdict hands back with the next pair are read with it, and are the queue's.
        XCTAssertEqual(try work.counts(), try file.counts())
        let claimed = try XCTUnwrap(try work.claimNext(excluding: []))
        let (_, next, counts) = try work.decideAndClaimNext(claimed.id, .match, note: nil, shown: claimed.score, excluding: [],
                                                            whileCommitting: nil)
        XCTAssertNotNil(next)
        XCTAssertEqual(counts, try work.counts())
        XCTAssertEqual(counts.decided, decided.count + 1)
        XCTAssertEqual(counts.claimed, 1)

        // A re-estimation on the server makes a newer model: the next pair a verdict hands back
        // is weighed with it at once (the pair's own statement reads the newest version).
        let before = try XCTUnwrap(try ModelStore.currentModel(link))
        let reestimating = try PostgresQueue.open(try PostgresAddress(url: queueURL))
        var request = ReestimationRequest()
        request.model = .independent
        _ = try reestimating.reestimate(request)
        reestimating.close()
        let after = try XCTUnwrap(try ModelStore.currentModel(link))
        XCTAssertGreaterThan(after.id, before.id)
        let held = try XCTUnwrap(next)
        let (_, shown, _) = try work.decideAndClaimNext(held.id, .match, note: nil, shown: held.score, excluding: [],
                                                        whileCommitting: nil)
        let weighed = try XCTUnwrap(shown)
        var moved = 0
        for (k, level) in weighed.evidence.enumerated() where level.kind != .missing {
            let now = try XCTUnwrap(after.model.parameters(comparison: k, gamma: level.gamma)).weight
            XCTAssertEqual(level.weight, now, accuracy: 1e-9, "\(level.name): the new model's weight")
            if abs(now - (before.model.parameters(comparison: k, gamma: level.gamma)?.weight ?? now)) > 1e-6 { moved += 1 }
        }
        XCTAssertGreaterThan(moved, 0, "the re-estimation moved some weight of the pair, so the check means something")
        file.close()
    }
}
