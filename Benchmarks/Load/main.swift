// clerical-load: one simulated reviewer process on a shared queue, for the concurrency test
// (Tests/EndToEndTests/ConcurrencyTests.swift) and benchmark (Benchmarks/concurrency.sh).
//
// QUEUE is a queue file or a postgresql:// URL (then the reviewer is the role it logs in as, and
// a lost connection is made again: `reconnections` in the report).
//
//   clerical-load QUEUE --reviewer NAME [--max N] [--seconds S] [--lease L] [--linger P]
//                       [--think-ms T] [--start-at UNIX_TIME] [--acks] [--screen] --report OUT.json
//
// It works the queue as `clerical review` does, through ReviewQueue: claim a pair with a lease,
// decide it (match when the model says p ≥ 0.5) and claim the next one in the same
// transaction, until the queue is empty, N verdicts, or S seconds. With --linger P it sits on
// a pair longer than its lease with probability P, so the lease expires under it and another
// process may take the pair. With --think-ms T it looks at each pair for T ms before
// deciding, as a (very fast) person would. With --acks it prints `PAIR KIND VERDICT` on stdout the
// moment each verdict is committed (one write, no buffer), so the crash harness
// (Benchmarks/Crash) knows every verdict acknowledged before it kills the process. With --screen
// on a URL it works through PostgresReviewWork, as `clerical review URL` does: each pair loaded
// with its records, evidence and context panel, as ReviewQueue loads them on a file (without
// it, through PostgresReviewQueue: the claims and verdicts alone).
//
// The report: verdicts given, pairs lost to expired leases, the time of each
// verdict-and-next-claim, and every error (there should be none).
import ClericalCore
import ClericalPostgres
import ClericalStore
import Foundation

nonisolated(unsafe) var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(i...(i + 1)) }
    return arguments[i + 1]
}
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("clerical-load: \(message)\n".utf8))
    exit(64)
}

guard let reviewer = option("--reviewer"), let reportPath = option("--report") else {
    fail("usage: clerical-load QUEUE --reviewer NAME --report OUT.json [--max N] [--seconds S] [--lease L] [--linger P] [--think-ms T] [--start-at T] [--acks] [--screen]")
}
let maxVerdicts = Int(option("--max") ?? "") ?? Int.max
let seconds = Double(option("--seconds") ?? "") ?? .infinity
let lease = Double(option("--lease") ?? "") ?? 120
let linger = Double(option("--linger") ?? "") ?? 0
let startAt = Double(option("--start-at") ?? "") ?? 0
let thinkMilliseconds = Double(option("--think-ms") ?? "") ?? 0
let printAcks = arguments.contains("--acks")
let asScreen = arguments.contains("--screen")
arguments.removeAll { $0 == "--acks" || $0 == "--screen" }
guard let queuePath = arguments.first else { fail("no queue file given") }

struct LoadReport: Codable {
    var reviewer: String
    var verdicts = 0
    var lostToExpiredLeases = 0
    /// Seconds from a verdict key to the verdict committed and the next pair claimed.
    var latencies: [Double] = []
    var errors: [String] = []
    var decidedPairs: [Int64] = []
    var elapsed = 0.0
    /// Connections to a PostgreSQL queue lost and made again.
    var reconnections = 0
}

/// A claimed pair, from either backend.
struct Work {
    var id: Int64
    var kind: String
    var score: PatternScore
}

/// The queue as the review screen works it (`ReviewWork`: a file through `ReviewQueue`, or with
/// --screen a PostgreSQL queue through `PostgresReviewWork`), or a PostgreSQL queue through
/// `PostgresReviewQueue` alone. On a server the reviewer is the role the URL logs in as.
enum Backend {
    case work(any ReviewWork)
    case server(PostgresReviewQueue)

    static func open(_ queue: String, reviewer: String, lease: Double) throws(ClericalError) -> Backend {
        if PostgresAddress.isURL(queue), asScreen { return .work(try PostgresReviewWork(url: queue, leaseSeconds: lease)) }
        if PostgresAddress.isURL(queue) {
            return .server(try PostgresReviewQueue(try PostgresQueue.open(try PostgresAddress(url: queue)), leaseSeconds: lease))
        }
        return .work(try ReviewQueue(path: queue, reviewer: reviewer, leaseSeconds: lease))
    }

    var reviewer: String? {
        switch self {
        case .server(let queue): return queue.reviewer
        case .work(let work as PostgresReviewWork): return work.reviewer
        case .work: return nil
        }
    }

    var reconnections: Int {
        switch self {
        case .server(let queue): return queue.reconnections
        case .work(let work as PostgresReviewWork): return work.reconnections
        case .work: return 0
        }
    }

    func claimNext() throws(ClericalError) -> Work? {
        switch self {
        case .work(let queue): return try queue.claimNext().map { Work(id: $0.id, kind: $0.kind.rawValue, score: $0.score) }
        case .server(let queue): return try queue.claimNext().map { Work(id: $0.id, kind: $0.kind, score: $0.score) }
        }
    }

    func decideAndClaimNext(_ pair: Work, _ verdict: Verdict) throws(ClericalError) -> Work? {
        switch self {
        case .work(let queue):
            return try queue.decideAndClaimNext(pair.id, verdict, note: nil, shown: pair.score, excluding: [], whileCommitting: nil).1
                .map { Work(id: $0.id, kind: $0.kind.rawValue, score: $0.score) }
        case .server(let queue):
            return try queue.decideAndClaimNext(PostgresReviewQueue.Claimed(id: pair.id, kind: pair.kind, score: pair.score), verdict, shown: pair.score).next
                .map { Work(id: $0.id, kind: $0.kind, score: $0.score) }
        }
    }

    func release(_ pair: Int64) throws(ClericalError) {
        switch self {
        case .work(let queue): try queue.release(pair)
        case .server(let queue): try queue.release(pair)
        }
    }

    func close() {
        switch self {
        case .work(let queue): queue.close()
        case .server(let queue): queue.close()
        }
    }
}

var report = LoadReport(reviewer: reviewer)
var random = SystemRandomNumberGenerator()
// Start together, so the processes really contend.
while Date().timeIntervalSince1970 < startAt { usleep(1000) }
let started = Date()
do {
    let queue = try Backend.open(queuePath, reviewer: reviewer, lease: lease)
    defer { queue.close() }
    if let role = queue.reviewer { report.reviewer = role }
    var pair = try queue.claimNext()
    while let current = pair, report.verdicts < maxVerdicts, Date().timeIntervalSince(started) < seconds {
        if linger > 0, Double.random(in: 0..<1, using: &random) < linger {
            usleep(UInt32(lease * 1.5 * 1_000_000))  // a reviewer gone for coffee: the lease runs out
        }
        if thinkMilliseconds > 0 { usleep(UInt32(thinkMilliseconds * 1000)) }
        let verdict: Verdict = current.score.matchProbability >= 0.5 ? .match : .nonMatch
        let clock = ContinuousClock.now
        do {
            let next = try queue.decideAndClaimNext(current, verdict)
            let elapsed = ContinuousClock.now - clock
            report.latencies.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            report.verdicts += 1
            report.decidedPairs.append(current.id)
            if printAcks { FileHandle.standardOutput.write(Data("\(current.id) \(current.kind) \(verdict.rawValue)\n".utf8)) }
            pair = next
        } catch where error.status == .tryAgain && error.message.contains("no longer yours") {
            report.lostToExpiredLeases += 1  // another reviewer took it after the lease ran out
            pair = try queue.claimNext()
        }
    }
    if let unfinished = pair { try queue.release(unfinished.id) }
    report.reconnections = queue.reconnections
} catch {
    report.errors.append("\(error)")
}
report.elapsed = Date().timeIntervalSince(started)
do {
    try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: reportPath))
} catch {
    fail("cannot write \(reportPath): \(error)")
}
