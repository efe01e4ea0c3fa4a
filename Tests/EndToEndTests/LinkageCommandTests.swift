import Foundation
import GRDB
import XCTest

/// The audit and the linked output, through the binary as a quality lead runs them.
final class LinkageCommandTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }

    override func setUpWithError() throws {
        folder = temporaryFolder()
        XCTAssertEqual(try Binary.importFixture(into: queue, band: "0.01:0.999").status, 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testAuditBadInputGetsAClearLineAndDrawsNothing() throws {
        let cases: [([String], Int32, String)] = [
            (["qa", "audit", queue, "--count", "999999"], 65, "is more than the"),
            (["qa", "audit", queue, "--fraction", "1.5"], 64, "--fraction must lie in (0, 1]"),
            (["qa", "audit", queue, "--fraction", "0"], 64, "--fraction must lie in (0, 1]"),
            (["qa", "audit", queue, "--count", "5", "--share", "2"], 64, "--share must lie in [0, 1]"),
            (["qa", "audit", queue], 64, "give --count or --fraction"),
            (["qa", "audit", queue, "--count", "5", "--stratify", "tenths"], 64, "tenths"),
        ]
        for (arguments, status, message) in cases {
            let run = try Binary.run(arguments)
            XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_pair") }, 0)

        let drawn = try Binary.run(["qa", "audit", queue, "--count", "40", "--stratify", "band", "--seed", "3"])
        XCTAssertEqual(drawn.status, 0, drawn.stderr)
        XCTAssertTrue(drawn.stdout.contains("drew 40 of the"), drawn.stdout)
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_pair") }, 40)
    }

    /// `export links --clusters` against connected components computed here from the links file.
    func testLinksAndClustersAgreeWithConnectedComponentsComputedIndependently() throws {
        // Some verdicts, so that reviewers' decisions and the model's are both in the output.
        let load = Process()
        load.executableURL = Binary.productsDirectory.appendingPathComponent("clerical-load")
        load.arguments = [queue, "--reviewer", "ana", "--max", "20", "--report", folder.appendingPathComponent("ana.json").path]
        try load.run()
        load.waitUntilExit()

        let links = folder.appendingPathComponent("links.csv").path
        let clusters = folder.appendingPathComponent("clusters.csv").path
        XCTAssertEqual(try Binary.run(["export", "links", queue, links]).status, 0)
        XCTAssertEqual(try Binary.run(["export", "links", queue, clusters, "--clusters"]).status, 0)

        let linkRows = try String(contentsOfFile: links, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(linkRows[0], ["unique_id_l", "unique_id_r", "match_probability", "decided_by", "decision_kind"])
        XCTAssertTrue(linkRows.dropFirst().contains { $0[3] == "ana" && $0[4] == "review" }, "reviewers' matches are there")
        XCTAssertTrue(linkRows.dropFirst().contains { $0[3] == "model" && $0[4] == "model" }, "the model's matches are there")
        XCTAssertTrue(linkRows.dropFirst().allSatisfy { $0[3] != "model" || Double($0[2])! >= 0.5 })

        // Connected components of the links, by a depth-first search over an adjacency list.
        var neighbours: [String: [String]] = [:]
        for row in linkRows.dropFirst() {
            neighbours[row[0], default: []].append(row[1])
            neighbours[row[1], default: []].append(row[0])
        }
        var component: [String: Int] = [:]
        for (number, start) in neighbours.keys.sorted().enumerated() where component[start] == nil {
            var stack = [start]
            while let node = stack.popLast() {
                guard component[node] == nil else { continue }
                component[node] = number
                stack += neighbours[node] ?? []
            }
        }
        let clusterRows = try String(contentsOfFile: clusters, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(clusterRows[0], ["cluster_id", "source_dataset", "unique_id"])
        let db = try DatabaseQueue(path: queue)
        defer { try? db.close() }
        XCTAssertEqual(clusterRows.count - 1, try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM record") }, "every record once")
        let clusterOf = Dictionary(uniqueKeysWithValues: clusterRows.dropFirst().map { ($0[2], $0[0]) })
        // Two records share a cluster exactly when the search put them in one component.
        let linked = component.keys.sorted()
        for (i, a) in linked.enumerated() {
            for b in linked[(i + 1)...].prefix(60) {
                XCTAssertEqual(clusterOf[a] == clusterOf[b], component[a] == component[b], "\(a) and \(b)")
            }
        }
        // A record in no link is a cluster of its own.
        let singles = clusterRows.dropFirst().filter { component[$0[2]] == nil }
        XCTAssertEqual(Set(singles.map { $0[0] }).count, singles.count)
    }
}
