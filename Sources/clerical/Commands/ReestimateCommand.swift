import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore
import Foundation

struct ReestimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reestimate",
        abstract: "Re-estimate m, u and λ from every pair and every verdict; re-score and re-order the queue.",
        discussion: """
            EM runs over every pair in the queue, by pattern. Pairs with a final match or \
            non-match verdict are clamped to it; the rest (unsure and undecided) get posteriors. \
            u and λ are estimated over candidate pairs, so they are not Splink's random-pair u. \
            Once there are verdicts, a correction learned from them captures interactions between \
            comparisons (household members agree on surname and address together), and --model \
            auto keeps whichever model best predicts held-out verdicts, never worse than the \
            imported one by that measure. The result is stored as a new model version; every pattern is re-scored and the \
            pending pairs re-ordered. With --every N a queue file re-estimates on its own after every \
            N verdicts, in the background of whoever is reviewing. A reviewer's database role cannot \
            write the model, so on a server `reestimate URL --every N` is itself the process that does \
            it: run by someone who may re-estimate, it re-estimates whenever N verdicts have come in \
            since the last model, until it is stopped (Ctrl-C, SIGTERM or a hang-up).
            """)

    @Argument(help: "The queue file, or a queue URL (postgresql://user@host/db?schema=NAME).") var queue: String
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(help: "Stop after this many EM iterations.") var maxIterations = 100
    @Option(help: "Converged when no m, u or λ moves more than this.") var tolerance = 1e-6
    @Flag(help: "Keep u as it is; estimate m and λ only.") var fixU = false
    @Flag(help: "With --model independent or dependent: fit each class over the comparison vectors the queue holds (the candidate set), not over every vector. auto weighs both.")
    var conditionOnCandidates = false
    @Option(name: .customLong("target-fmr"), help: "False-match rate the suggested upper threshold keeps under.")
    var targetFalseMatchRate = 0.01
    @Option(name: .customLong("target-fnmr"), help: "Missed-match rate the suggested lower threshold keeps under.")
    var targetMissedMatchRate = 0.01
    @Flag(help: "Let the model decide pending pairs that fall outside the review band.") var decideOutsideBand = false
    @Option(help: ArgumentHelp("""
        independent: Fellegi–Sunter m, u and λ conditional on the candidate set; dependent: that \
        model with a correction for interactions learned from verdicts; auto: whichever of the \
        imported, independent and dependent models best predicts verdicts it was not fitted on \
        (5-fold cross-validation; the imported model stays until there are 20 verdicts of both classes).
        """))
    var model: ModelRequest = .auto
    @Option(help: ArgumentHelp("Re-estimate automatically after every N verdicts (0 turns it off), then exit. On a server: re-estimate after every N verdicts until stopped.", valueName: "N"))
    var every: Int?

    func validate() throws {
        guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be at least 1") }
        guard tolerance > 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a positive number") }
        for (flag, rate) in [("--target-fmr", targetFalseMatchRate), ("--target-fnmr", targetMissedMatchRate)] {
            guard rate > 0, rate < 1 else { throw ValidationError("\(flag) must lie strictly between 0 and 1") }
        }
        if let every, every < 0 { throw ValidationError("--every must be 0 (off) or a positive number of verdicts") }
    }

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            if PostgresAddress.isURL(queue), every == 0 {
                throw ClericalError(.usage, "--every 0: on a server nothing re-estimates on its own; stop the `reestimate URL --every N` process instead")
            }
            let server = try onServer(queue)
            defer { server?.close() }
            if server == nil { try Reviewers.require(.reestimate, queue: queue, account: try Identity.current()) }
            var request = ReestimationRequest()
            request.options = EstimationOptions(maxIterations: maxIterations, tolerance: tolerance, fixU: fixU,
                                                conditionalOnCandidates: conditionOnCandidates)
            request.targetFalseMatchRate = targetFalseMatchRate
            request.targetMissedMatchRate = targetMissedMatchRate
            request.decideOutsideBand = decideOutsideBand
            request.model = model
            if let every, let server {
                try reestimateUntilStopped(server, every: every, request: request)
                return
            }
            if let every {
                try Reestimation.setAutomatic(queue: queue, every: every)
                print(every == 0 ? "\(queue): automatic re-estimation is off"
                                 : "\(queue): re-estimates automatically after every \(every) verdicts")
                return
            }
            let found: ReestimationReport?
            if let server { found = try server.reestimate(request) } else { found = try Reestimation.run(queue: queue, request: request) }
            guard let report = found else { return }
            print(json ? report.json() : report.text())
        }
    }

    /// On a server: re-estimates whenever `every` verdicts have come in since the last model,
    /// looking once a second, until a stop signal; a re-estimation another process is running
    /// at the same moment is left to it.
    private func reestimateUntilStopped(_ server: PostgresQueue, every: Int, request: ReestimationRequest) throws(ClericalError) {
        try server.require(.reestimate)
        let stop = StopSignal()
        print("\(server.address): re-estimating after every \(every) verdicts until stopped")
        fflush(nil)  // whoever watches the output (a pipe, a log) sees each line as it comes
        while !stop.requested {
            let since = try server.verdictsSinceModel()
            if since >= every {
                do {
                    let report = try server.reestimate(request)
                    print("after \(since) new verdicts:")
                    print(json ? report.json() : report.text())
                    fflush(nil)
                } catch where error.status == .tryAgain {
                    // Another re-estimation or an import came first; look again.
                }
            }
            stop.wait(seconds: 1)
        }
        print("\(server.address): stopped")
    }
}
