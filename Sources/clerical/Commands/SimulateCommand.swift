import ArgumentParser
import ClericalCore
import ClericalStore
import Foundation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate reviewers deciding from a truth file, and print the learning curve.",
        discussion: """
            Simulated reviewers claim and decide pairs as people do, from the truth file, wrong \
            at --error-rate, re-estimating every --reestimate-every verdicts. After each step: \
            verdicts so far, precision, recall and F1 at probability 0.5 over every pair of the \
            queue the truth file covers, and the largest level-weight change. It works on a \
            private copy: the queue is left as it was; --keep-queue keeps that copy, with its \
            verdicts and model versions, in a new file. --order random draws any undecided \
            candidate pair, queued or decided by the model.
            """)

    @Argument(help: "The queue file.") var queue: String
    @Option(help: ArgumentHelp("Ground truth: unique_id_l,unique_id_r,is_match (+ source_dataset_l,source_dataset_r), plain or gzip-compressed.", valueName: "TRUTH.csv"))
    var truth: String
    @Option(help: "Verdicts to give in all.") var decisions = 300
    @Option(help: "Simulated reviewers, taking turns.") var reviewers = 1
    @Option(help: "Share of verdicts given wrong on purpose, in [0, 1].") var errorRate = 0.0
    @Option(help: "Re-estimate after every M verdicts (0: never), as a queue set to reestimate --every M does.")
    var reestimateEvery = SimulationPlan().reestimateEvery
    @Option(help: "uncertainty (the queue's order) or random.") var order: SimulationPlan.Order = .uncertainty
    @Option(help: "Seed for the random choices.") var seed: UInt64 = 1
    @Option(help: "The model each re-estimation keeps (as reestimate --model).") var model: ModelRequest = .auto
    @Option(help: "Share of the verdicts that go to audit pairs, drawn as qa audit draws them, in [0, 1].") var auditShare = 0.0
    @Option(help: "How the audit splits its sample across strata: proportional or neyman (as qa audit --allocation).")
    var auditAllocation: AuditAllocation = .proportional
    @Option(help: ArgumentHelp("Keep the simulated queue in this new file (for Benchmarks/pattern_errors.py).", valueName: "QUEUE"))
    var keepQueue: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard decisions >= 1 else { throw ValidationError("--decisions must be at least 1") }
        guard reviewers >= 1 else { throw ValidationError("--reviewers must be at least 1") }
        guard errorRate >= 0, errorRate <= 1 else { throw ValidationError("--error-rate must lie in [0, 1]") }
        guard auditShare >= 0, auditShare <= 1 else { throw ValidationError("--audit-share must lie in [0, 1]") }
        guard reestimateEvery >= 0 else { throw ValidationError("--reestimate-every must be 0 (never) or more") }
    }

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            try Reviewers.require(.simulate, queue: queue, account: try Identity.current())
            var plan = SimulationPlan()
            plan.decisions = decisions
            plan.reviewers = reviewers
            plan.errorRate = errorRate
            plan.reestimateEvery = reestimateEvery
            plan.order = order
            plan.seed = seed
            plan.model = model
            plan.auditShare = auditShare
            plan.auditAllocation = auditAllocation
            plan.keepQueue = keepQueue
            let report = try Simulation.run(queue: queue, truth: truth, plan: plan)
            print(json ? ReportJSON.encode(report) : SimulationText.text(report))
        }
    }
}
