// clerical-estimation-bench: the baselines for `clerical reestimate` (see Benchmarks/README.md).
//
//   clerical-estimation-bench QUEUE --truth TRUTH.csv [--verdicts N] [--vectors OUT.csv]
//
// 1. Gives the queue N verdicts from the truth file, through ReviewQueue as a reviewer would
//    (only the ones it does not have yet).
// 2. Runs the plain pair-by-pair EM over every pair of the queue (same start, same options as
//    `clerical reestimate`) and, for comparison, the pattern EM in-process; prints both times.
// 3. With --vectors, writes every pair's comparison vector as CSV for Splink's EM session
//    (Benchmarks/splink_em.py).
import ClericalCore
import ClericalStore
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("clerical-estimation-bench: \(message)\n".utf8))
    exit(64)
}

nonisolated(unsafe) var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    defer { arguments.removeSubrange(i...(i + 1)) }
    return arguments[i + 1]
}
guard let truthPath = option("--truth") else { fail("--truth TRUTH.csv is required") }
guard let verdictTarget = Int(option("--verdicts") ?? "2000") else { fail("--verdicts takes a number") }
let vectorsPath = option("--vectors")
guard let queuePath = arguments.first else { fail("usage: clerical-estimation-bench QUEUE --truth TRUTH.csv [--verdicts N] [--vectors OUT.csv]") }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

do {
    // 1. Verdicts, as a reviewer gives them.
    var truth: [String: Bool] = [:]
    for line in try String(contentsOfFile: truthPath, encoding: .utf8).split(separator: "\n").dropFirst() {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 3 else { continue }
        truth["\(fields[0]) \(fields[1])"] = fields[2] == "1"
    }
    let queue = try ReviewQueue(path: queuePath, reviewer: "bench")
    let already = try queue.recentVerdicts(limit: verdictTarget).count
    var given = 0
    let verdictTime = try seconds {
        while already + given < verdictTarget, let pair = try queue.claimNext() {
            let isMatch = truth["\(pair.left.uniqueID) \(pair.right.uniqueID)"] ?? truth["\(pair.right.uniqueID) \(pair.left.uniqueID)"]
            try queue.decide(pair.id, isMatch.map { $0 ? .match : .nonMatch } ?? .unsure, note: nil, shown: pair.score)
            given += 1
        }
    }
    queue.close()
    if given > 0 { print(String(format: "gave %d verdicts in %.1f s (%d already there)", given, verdictTime, already)) }

    // 2. The pair-by-pair EM, over the same pairs.
    var inputs: (start: FellegiSunterModel, gammas: [[Int]], labels: [Verdict?])!
    let loadTime = try seconds { inputs = try Reestimation.pairByPairInputs(queue: queuePath) }
    print(String(format: "loaded %d pairs for the pair-by-pair EM in %.2f s", inputs.gammas.count, loadTime))
    var pairwise: EstimationResult!
    let pairwiseTime = seconds {
        pairwise = PairwiseExpectationMaximisation.estimate(start: inputs.start, gammas: inputs.gammas, labels: inputs.labels)
    }
    var byPattern: [[Int]: PatternTally] = [:]
    for (vector, label) in zip(inputs.gammas, inputs.labels) {
        byPattern[vector, default: PatternTally(gammas: vector, unlabelled: 0)].unlabelled += label == .match || label == .nonMatch ? 0 : 1
        if label == .match { byPattern[vector]!.matches += 1 }
        if label == .nonMatch { byPattern[vector]!.nonMatches += 1 }
    }
    var patternResult: EstimationResult!
    let patternTime = seconds {
        patternResult = ExpectationMaximisation.estimate(start: inputs.start, tallies: Array(byPattern.values))
    }
    print(String(format: "pair-by-pair EM: %.3f s, %d iterations (%.1f ms per iteration)", pairwiseTime, pairwise.iterations,
                 pairwiseTime * 1000 / Double(pairwise.iterations)))
    print(String(format: "pattern EM alone: %.4f s, %d iterations, %d patterns; λ %.6g vs %.6g pair by pair", patternTime,
                 patternResult.iterations, byPattern.count, patternResult.model.lambda, pairwise.model.lambda))

    // 3. The comparison vectors for Splink.
    if let vectorsPath {
        let names = inputs.start.comparisons.map { "gamma_\($0.name)" }
        var text = "unique_id_l,unique_id_r," + names.joined(separator: ",") + "\n"
        text.reserveCapacity(inputs.gammas.count * (names.count * 3 + 16))
        for (j, vector) in inputs.gammas.enumerated() {
            text += "\(2 * j),\(2 * j + 1)," + vector.map(String.init).joined(separator: ",") + "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: vectorsPath))
        print("wrote \(inputs.gammas.count) comparison vectors to \(vectorsPath)")
    }
} catch {
    fail("\(error)")
}
