import Foundation
import XCTest

/// Roles, enforced for every command. Tests act as other accounts through CLERICAL_ACCOUNT,
/// which clerical honours for root only (root can edit the queue file anyway).
final class RoleTests: XCTestCase {
    var folder: URL!
    var queue: String { folder.appendingPathComponent("q.db").path }
    var truth: String { Binary.fixture("splink5-febrl3", "truth.csv") }

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("acting as other accounts needs root (CLERICAL_ACCOUNT)") }
        folder = temporaryFolder()
        XCTAssertEqual(try Binary.importFixture(into: queue).status, 0)
    }

    override func tearDown() { if let folder { try? FileManager.default.removeItem(at: folder) } }

    @discardableResult
    func run(as account: String, _ arguments: [String]) throws -> ClericalRun {
        var environment = ProcessInfo.processInfo.environment
        environment["CLERICAL_ACCOUNT"] = account
        environment["TERM"] = "xterm"
        return try Binary.run(arguments, environment: environment)
    }

    func output(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A labels table of two pairs of the queue, as Splink writes one.
    var labels: String {
        let path = output("labels-in.csv")
        if !FileManager.default.fileExists(atPath: path) {
            try? "unique_id_l,unique_id_r,clerical_match_score\nrec-944-dup-1,rec-944-org,1.0\nrec-1216-dup-0,rec-1216-dup-1,0.0\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
        return path
    }

    /// Every command a role might be refused, with the arguments to run it on the queue.
    var commands: [(action: String, arguments: [String])] {
        [
            ("status", ["status", queue]),
            ("verify", ["verify", queue]),
            ("review", ["review", queue]),
            ("import", ["import", queue, Binary.fixture("splink5-febrl3", "predictions.csv"), "--model", Binary.fixture("splink5-febrl3", "model.json")]),
            ("reestimate", ["reestimate", queue]),
            ("reestimate --every", ["reestimate", queue, "--every", "100"]),
            ("export labels", ["export", "labels", queue, output("labels.csv")]),
            ("export model", ["export", "model", queue, output("model.json")]),
            ("export decisions", ["export", "decisions", queue, output("decisions.csv")]),
            ("simulate", ["simulate", queue, "--truth", truth, "--decisions", "5"]),
            ("reviewers list", ["reviewers", "list", queue]),
            ("review --adjudicate", ["review", queue, "--adjudicate"]),
            ("reviewers reserve", ["reviewers", "reserve", queue, "alice", "--band", "0.4:0.6"]),
            ("reviewers unreserve", ["reviewers", "unreserve", queue, "alice"]),
            ("qa sample", ["qa", "sample", queue, "--count", "1"]),
            ("qa report", ["qa", "report", queue]),
            ("qa audit", ["qa", "audit", queue, "--count", "1"]),
            ("export links", ["export", "links", queue, output("links.csv")]),
            ("qa quality", ["qa", "quality", queue]),
            ("import-labels", ["import-labels", queue, labels]),
            ("reviewers add", ["reviewers", "add", queue, "newcomer", "--role", "reviewer"]),
            ("reviewers remove", ["reviewers", "remove", queue, "newcomer"]),
            ("reviewers mask", ["reviewers", "mask", queue, "off"]),
        ]
    }

    func testAnOpenQueueLetsAnyoneDoAnything() throws {
        XCTAssertEqual(try run(as: "zoe", ["reestimate", queue]).status, 0)
        XCTAssertEqual(try run(as: "zoe", ["export", "labels", queue, output("l.csv")]).status, 0)
        XCTAssertTrue(try run(as: "zoe", ["reviewers", "list", queue]).stdout.contains("open to every account"))
    }

    func testTheFirstReviewerMustBeASupervisor() throws {
        let run = try run(as: "zoe", ["reviewers", "add", queue, "alice", "--role", "reviewer"])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("the first reviewer of a queue must be a supervisor"), run.stderr)
    }

    func testRolesAreEnforcedForEveryCommand() throws {
        XCTAssertEqual(try run(as: "sam", ["reviewers", "add", queue, "sam", "--role", "supervisor"]).status, 0)
        XCTAssertEqual(try run(as: "sam", ["reviewers", "add", queue, "alice", "--role", "reviewer"]).status, 0)
        XCTAssertEqual(try run(as: "sam", ["reviewers", "add", queue, "quinn", "--role", "quality-lead"]).status, 0)

        let allowed: [String: Set<String>] = [
            "alice": ["status", "verify", "review", "reviewers list"],
            "quinn": ["status", "verify", "review", "import", "reestimate", "reestimate --every", "export labels", "export model",
                      "export decisions", "simulate", "reviewers list", "review --adjudicate", "qa sample", "qa report",
                      "qa audit", "export links", "qa quality", "import-labels"],
            "sam": ["status", "verify", "review", "import", "simulate", "reviewers list", "reviewers add", "reviewers remove", "qa report", "qa quality",
                    "reviewers reserve", "reviewers unreserve", "reviewers mask"],
            "zoe": [],
        ]
        for (account, may) in allowed.sorted(by: { $0.key < $1.key }) {
            for command in commands {
                let result = try run(as: account, command.arguments)
                if may.contains(command.action) {
                    // `review` gets past the role check and then needs a terminal (exit 64 here).
                    if command.action.hasPrefix("review") && !command.action.hasPrefix("reviewers") {
                        XCTAssertNotEqual(result.status, 77, "\(account) may review: \(result.stderr)")
                    } else {
                        XCTAssertEqual(result.status, 0, "\(account) may \(command.action): \(result.stderr)")
                    }
                } else {
                    XCTAssertEqual(result.status, 77, "\(account) may not \(command.action): \(result.stdout) \(result.stderr)")
                    XCTAssertFalse(result.stderr.isEmpty)
                }
            }
        }
        let refused = try run(as: "alice", ["reestimate", queue])
        XCTAssertTrue(refused.stderr.contains("only a quality lead may reestimate this queue (quinn); alice is a reviewer"), refused.stderr)
        let stranger = try run(as: "zoe", ["status", queue])
        XCTAssertTrue(stranger.stderr.contains("zoe is not a registered reviewer"), stranger.stderr)

        let last = try run(as: "sam", ["reviewers", "remove", queue, "sam"])
        XCTAssertEqual(last.status, 64, "the last supervisor stays")
        XCTAssertTrue(last.stderr.contains("last supervisor"), last.stderr)
        let list = try run(as: "alice", ["reviewers", "list", queue])
        XCTAssertTrue(list.stdout.contains("quinn") && list.stdout.contains("quality-lead"), list.stdout)
    }
}
