// clerical-crash: kills `clerical` at random moments and checks that nothing was lost or half
// written. The short version runs in the tests (Tests/EndToEndTests/CrashTests.swift), the long
// one is Benchmarks/crash.sh (200 kills).
//
//   clerical-crash --bin DIR --fixture DIR --work DIR [--kills N] [--seed S]
//
// DIR (--bin) holds the built `clerical` and `clerical-load`; the fixture holds a Splink
// predictions.csv and model.json. Kill i goes to phase i mod 5:
//   import      `clerical import` into a new file: afterwards the file holds no pair or all of them;
//   review      three `clerical-load --acks` reviewers on one queue, all killed at once: every
//               verdict one acknowledged is a decision row, no pair has two standing verdicts
//               of one kind, and every claimed pair has exactly one holder;
//   reestimate  `clerical reestimate`: every model version has a parameter for every level;
//   sample      `clerical qa sample --count 5`: the second-review sample grew by 0 or 5;
//   export      `clerical export decisions`: the file is absent or equal to an unkilled export.
// After every kill `clerical verify` must pass. Each phase is first run once unkilled to learn
// how long it takes; kills then fall uniformly in [0, 1.2 × that]. Prints one line per kill
// and a summary; exits 1 on the first broken promise.
import ClericalCore
import Foundation
import GRDB

nonisolated(unsafe) var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("clerical-crash: \(message)\n".utf8))
    exit(1)
}
guard let bin = option("--bin"), let fixture = option("--fixture"), let work = option("--work") else {
    FileHandle.standardError.write(Data("usage: clerical-crash --bin DIR --fixture DIR --work DIR [--kills N] [--seed S]\n".utf8))
    exit(64)
}
let kills = Int(option("--kills") ?? "") ?? 200
// Seeded, so a failing run can be repeated with its seed.
nonisolated(unsafe) var random = SeededGenerator(seed: UInt64(option("--seed") ?? "") ?? 1)
let clerical = "\(bin)/clerical", load = "\(bin)/clerical-load"
let predictions = "\(fixture)/predictions.csv", model = "\(fixture)/model.json"
try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
let queue = "\(work)/queue.db"

final class Child {
    let process = Process()
    let out = Pipe(), err = Pipe()
    init(_ executable: String, _ args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }
    func sigkill() { if process.isRunning { _ = kill(process.processIdentifier, SIGKILL) } }
    /// Waits for the end, then returns what it wrote (the pipes hold it after a kill too).
    func finish() -> (status: Int32, stdout: String, stderr: String) {
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

@discardableResult
func run(_ args: [String], expect: Int32? = 0) throws -> (status: Int32, stdout: String, stderr: String) {
    let result = try Child(clerical, args).finish()
    if let expect, result.status != expect {
        fail("clerical \(args.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return result
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = Date()
    try body()
    return Date().timeIntervalSince(start)
}

/// Starts `child`, lets it run a random part of `typical` seconds, and SIGKILLs it.
func killSoon(_ children: [Child], typical: Double) -> Double {
    let delay = Double.random(in: 0..<1, using: &random) * typical * 1.2
    usleep(UInt32(delay * 1_000_000))
    for child in children { child.sigkill() }
    return delay
}

func read<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
    var configuration = Configuration()
    configuration.readonly = true
    return try DatabaseQueue(path: path, configuration: configuration).read(body)
}

func verify(_ path: String, after what: String) throws {
    let result = try run(["verify", path], expect: nil)
    if result.status != 0 { fail("verify failed after \(what): \(result.stdout)\(result.stderr)") }
}

// The acknowledged verdicts so far: "pair kind" → (reviewer, verdict). A pair gets one verdict
// of each kind (review, second review, adjudication), so a key never appears twice.
nonisolated(unsafe) var acknowledged: [String: (reviewer: String, verdict: String)] = [:]
var checks = ["import": 0, "review": 0, "reestimate": 0, "sample": 0, "export": 0]

func checkQueue(after what: String) throws {
    try verify(queue, after: what)
    try read(queue) { db in
        // Every acknowledged verdict is there, by its reviewer, as acknowledged.
        var standing: [String: [String: String?]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT pair_id, kind, reviewer, verdict FROM decision ORDER BY id") {
            standing["\(row["pair_id"] as Int64) \(row["kind"] as String)", default: [:]][row["reviewer"] as String] = row["verdict"] as String?
        }
        for (key, ack) in acknowledged {
            guard let given = standing[key]?[ack.reviewer], given == ack.verdict else {
                fail("after \(what): \(key)'s acknowledged \(ack.verdict) by \(ack.reviewer) is not in the queue")
            }
        }
        // No pair has two standing verdicts of one kind.
        for (key, byReviewer) in standing where byReviewer.values.compactMap({ $0 }).count > 1 {
            fail("after \(what): \(key) has \(byReviewer.values.compactMap { $0 }.count) standing verdicts")
        }
        // Every claimed pair has its one claim (the claim table holds one per pair; `verify`
        // checks each sits on a row in its claimed state), and the state counters match the rows.
        let holderless = try Int.fetchOne(db, sql: "SELECT count(*) FROM pair WHERE state = 'claimed' AND id NOT IN (SELECT pair_id FROM claim)") ?? 0
        if holderless > 0 { fail("after \(what): \(holderless) claimed pairs without a claim") }
        let counted = try Row.fetchAll(db, sql: """
            SELECT c.state, c.count, (SELECT count(*) FROM pair p WHERE p.state = c.state) AS actual FROM pair_state_count c
            """)
        for row in counted where (row["count"] as Int) != (row["actual"] as Int) {
            fail("after \(what): pair_state_count says \(row["count"] as Int) \(row["state"] as String) pairs, there are \(row["actual"] as Int)")
        }
        // A model version is complete or absent.
        let levels = try Int.fetchOne(db, sql: "SELECT count(*) FROM comparison_level") ?? 0
        for row in try Row.fetchAll(db, sql: """
            SELECT m.id, (SELECT count(*) FROM level_parameter l WHERE l.model_version_id = m.id) AS parameters FROM model_version m
            """) where (row["parameters"] as Int) != levels {
            fail("after \(what): model version \(row["id"] as Int64) has \(row["parameters"] as Int) of \(levels) level parameters")
        }
    }
}

// Learn each phase's duration, unkilled, and set up the shared queue.
let importFile = "\(work)/import.db"
let pairsInFixture: Int
let importTime = try seconds { try run(["import", importFile, predictions, "--model", model]) }
pairsInFixture = try read(importFile) { try Int.fetchOne($0, sql: "SELECT count(*) FROM pair") ?? 0 }
// The shared queue puts every pair in the review band; when its reviewers have emptied it, a
// fresh one takes its place (after its last checks), so the review rounds never run dry.
nonisolated(unsafe) var checkedInEarlierQueues = 0
func freshQueue() throws {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: queue + suffix) }
    try run(["import", queue, predictions, "--model", model, "--review-probability", "0:1"])
}
try freshQueue()
let reviewTime = 2.0  // long enough for the reviewers to start and give tens of verdicts
let reestimateTime = try seconds { try run(["reestimate", queue]) }
let sampleTime = try seconds { _ = try run(["qa", "sample", queue, "--count", "5"], expect: nil) }
let exportTime = try seconds { try run(["export", "decisions", queue, "\(work)/reference.csv"]) }
print(String(format: "unkilled: import %.2f s (%d pairs), reestimate %.2f s, qa sample %.2f s, export %.2f s",
             importTime, pairsInFixture, reestimateTime, sampleTime, exportTime))

var reviewerCount = 0
for kill in 0..<kills {
    let phase = ["import", "review", "reestimate", "sample", "export"][kill % 5]
    let what = "kill \(kill + 1) (\(phase))"
    var line = ""
    switch phase {
    case "import":
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: importFile + suffix) }
        let child = try Child(clerical, ["import", importFile, predictions, "--model", model])
        let delay = killSoon([child], typical: importTime)
        let status = child.finish().status
        // All or nothing: an unopenable or empty file counts as nothing.
        let pairs = (try? read(importFile) { try Int.fetchOne($0, sql: "SELECT count(*) FROM pair") ?? 0 }) ?? 0
        if pairs != 0 && pairs != pairsInFixture { fail("\(what): import left \(pairs) of \(pairsInFixture) pairs") }
        if pairs > 0 { try verify(importFile, after: what) }
        line = String(format: "at %.2f s, exit %d: %d pairs", delay, status, pairs)
    case "review":
        let pending = try read(queue) { try Int.fetchOne($0, sql: "SELECT count FROM pair_state_count WHERE state = 'pending'") ?? 0 }
        if pending < 200 {
            checkedInEarlierQueues += acknowledged.count
            acknowledged = [:]
            try freshQueue()
        }
        var children: [Child] = []
        var names: [String] = []
        for _ in 0..<3 {
            reviewerCount += 1
            names.append("crash-\(reviewerCount)")
            // A short lease, so claims a killed reviewer held expire and others take the pairs.
            // Looking 10 ms at each pair, as a very fast person would, so a round gives a few
            // hundred verdicts rather than the whole queue.
            children.append(try Child(load, [queue, "--reviewer", names.last!, "--lease", "1", "--acks", "--think-ms", "10",
                                             "--report", "\(work)/load.json"]))
        }
        let delay = killSoon(children, typical: reviewTime)
        var acks = 0
        for (child, name) in zip(children, names) {
            for ackLine in child.finish().stdout.split(separator: "\n") {
                let parts = ackLine.split(separator: " ")
                guard parts.count == 3 else { continue }  // a torn last line was never whole
                let key = "\(parts[0]) \(parts[1])"
                if let earlier = acknowledged[key] { fail("\(what): \(key) acknowledged twice (\(earlier.reviewer), \(name))") }
                acknowledged[key] = (name, String(parts[2]))
                acks += 1
            }
        }
        line = String(format: "at %.2f s: %d verdicts acknowledged (%d in all)", delay, acks, checkedInEarlierQueues + acknowledged.count)
    case "reestimate":
        let before = try read(queue) { try Int.fetchOne($0, sql: "SELECT count(*) FROM model_version") ?? 0 }
        let child = try Child(clerical, ["reestimate", queue])
        let delay = killSoon([child], typical: reestimateTime)
        let status = child.finish().status
        let after = try read(queue) { try Int.fetchOne($0, sql: "SELECT count(*) FROM model_version") ?? 0 }
        if after != before && after != before + 1 { fail("\(what): \(after - before) model versions added") }
        line = String(format: "at %.2f s, exit %d: %d model version added", delay, status, after - before)
    case "sample":
        let before = try read(queue) { try Int.fetchOne($0, sql: "SELECT count(*) FROM second_review") ?? 0 }
        // The standing first verdicts not sampled yet: the sample takes 5 of them, or all if fewer.
        let eligible = try read(queue) { try Int.fetchOne($0, sql: """
            SELECT count(*) FROM decision d
            WHERE d.id IN (SELECT max(id) FROM decision WHERE kind = 'review' GROUP BY pair_id) AND d.verdict IS NOT NULL
              AND d.pair_id NOT IN (SELECT pair_id FROM second_review)
            """) ?? 0 }
        let child = try Child(clerical, ["qa", "sample", queue, "--count", "5", "--seed", "\(kill)"])
        let delay = killSoon([child], typical: sampleTime)
        let status = child.finish().status
        let after = try read(queue) { try Int.fetchOne($0, sql: "SELECT count(*) FROM second_review") ?? 0 }
        if after != before && after != before + min(5, eligible) {
            fail("\(what): the sample grew by \(after - before), not 0 or \(min(5, eligible))")
        }
        line = String(format: "at %.2f s, exit %d: %d pairs sampled", delay, status, after - before)
    default:
        let out = "\(work)/decisions.csv", reference = "\(work)/reference.csv"
        try? FileManager.default.removeItem(atPath: out)
        try run(["export", "decisions", queue, reference])
        let child = try Child(clerical, ["export", "decisions", queue, out])
        let delay = killSoon([child], typical: exportTime)
        let status = child.finish().status
        let written = FileManager.default.contents(atPath: out)
        if let written, written != FileManager.default.contents(atPath: reference) {
            fail("\(what): the export file is there but not complete (\(written.count) bytes)")
        }
        line = String(format: "at %.2f s, exit %d: file %@", delay, status, written == nil ? "absent" : "complete")
    }
    try checkQueue(after: what)
    checks[phase, default: 0] += 1
    print("\(what) \(line)")
}
let decisions = try read(queue) { try Int.fetchOne($0, sql: "SELECT count(*) FROM decision") ?? 0 }
print("\(kills) kills (\(checks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); "
      + "\(checkedInEarlierQueues + acknowledged.count) acknowledged verdicts checked after every kill; lost: 0; "
      + "decision rows in the last queue: \(decisions); verify passed every time")
