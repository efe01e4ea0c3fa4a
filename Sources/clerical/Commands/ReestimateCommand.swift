import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore

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
            pending pairs re-ordered. With --every N the queue re-estimates on its own after every \
            N verdicts, in the background of whoever is reviewing.
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
    @Option(help: ArgumentHelp("Re-estimate automatically after every N verdicts (0 turns it off), then exit.", valueName: "N"))
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
            if PostgresAddress.isURL(queue), every != nil {
                throw ClericalError(.usage, "--every works on a queue file: on a server, re-estimate with `clerical reestimate URL` when you choose")
            }
            let server = try onServer(queue)
            defer { server?.close() }
            if server == nil { try Reviewers.require(.reestimate, queue: queue, account: try Identity.current()) }
            if let every {
                try Reestimation.setAutomatic(queue: queue, every: every)
                print(every == 0 ? "\(queue): automatic re-estimation is off"
                                 : "\(queue): re-estimates automatically after every \(every) verdicts")
                return
            }
            var request = ReestimationRequest()
            request.options = EstimationOptions(maxIterations: maxIterations, tolerance: tolerance, fixU: fixU,
                                                conditionalOnCandidates: conditionOnCandidates)
            request.targetFalseMatchRate = targetFalseMatchRate
            request.targetMissedMatchRate = targetMissedMatchRate
            request.decideOutsideBand = decideOutsideBand
            request.model = model
            let found: ReestimationReport?
            if let server { found = try server.reestimate(request) } else { found = try Reestimation.run(queue: queue, request: request) }
            guard let report = found else { return }
            print(json ? report.json() : report.text())
        }
    }
}
