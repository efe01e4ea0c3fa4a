import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore
import Foundation

struct QACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qa",
        abstract: "Blind second review: sample decided pairs, and measure agreement.",
        subcommands: [Sample.self, Report.self, Audit.self, Quality.self])

    struct Quality: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Estimated precision, recall and F1 of the queue's final decisions, with 95% intervals.",
            discussion: """
                Final decisions are the verdicts where given and the current model (at probability \
                0.5) elsewhere. Reviewed pairs are known exactly; unreviewed pairs an audit covers \
                are estimated from its verdicts with their design weights (clerical qa audit); the \
                rest from the model's own probabilities. Also: false and missed matches by band, \
                and a calibration table. Matches that blocking never produced cannot be seen.
                """)

        @Argument(help: "The queue: a file or a postgresql:// URL.") var queue: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                let handle = try openQueueWatch(queue)
                defer { handle.close() }
                try handle.require(.readLinkageQuality)
                let estimate = try handle.quality()
                print(json ? ReportJSON.encode(estimate) : LinkageQualityText.text(estimate))
            }
        }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw an audit: a probability sample of the pairs the model decided on its own.",
            discussion: """
                The frame is every pair the model decided (outside the review band, on either side) \
                not drawn before. --stratify band draws in proportion to decision side and \
                probability band (exact counts); none draws a simple random sample. With band, \
                --allocation neyman splits the sample to make the quality estimate's variance \
                least, planned from the model's expected error rate in each stratum: pairs near \
                the review band are drawn more often than those it is sure of. Each drawn \
                pair's inclusion probability is stored, so estimates from the verdicts are \
                design-unbiased. Reviewers meet audit pairs in their normal flow, blind and \
                unmarked, as --share of the pairs offered while the audit lasts; a verdict on one \
                is an ordinary review decision.
                """)

        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Option(help: "Draw this many pairs.") var count: Int?
        @Option(help: "Draw this share of the eligible pairs, in (0, 1].") var fraction: Double?
        @Option(help: "none (simple random) or band (decision side × probability band).") var stratify: AuditStratification = .band
        @Option(help: "With --stratify band: proportional (to each stratum's size) or neyman (least variance).")
        var allocation: AuditAllocation = .proportional
        @Option(help: "Share of the pairs offered to reviewers that come from the audit, in [0, 1].") var share = 0.5
        @Option(help: "Seed for the random draw.") var seed: UInt64 = 1

        func validate() throws {
            guard (fraction == nil) != (count == nil) else { throw ValidationError("give --count or --fraction, one of them") }
            if let fraction, !(fraction > 0 && fraction <= 1) { throw ValidationError("--fraction must lie in (0, 1]") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
            guard share >= 0, share <= 1 else { throw ValidationError("--share must lie in [0, 1]") }
            if allocation == .neyman, stratify == .none { throw ValidationError("--allocation neyman splits a sample across strata: it needs --stratify band") }
        }

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                var request = AuditRequest(size: fraction.map { .fraction($0) } ?? .count(count!))
                request.stratify = stratify
                request.allocation = allocation
                request.share = share
                request.seed = seed
                let summary: AuditSummary
                if let server = try onServer(queue) {
                    defer { server.close() }
                    summary = try server.drawAudit(request)
                } else {
                    let account = try Identity.current()
                    try Reviewers.require(.audit, queue: queue, account: account)
                    summary = try QualityAudit.draw(queue: queue, request, by: account)
                }
                print("Audit \(summary.auditID): drew \(summary.drawn) of the \(summary.eligible) pairs the model decided on its own, offered as \(share) of what reviewers meet:")
                for (stratum, sizes) in summary.strata.sorted(by: { $0.key < $1.key }) {
                    print("  \(stratum.padding(toLength: 24, withPad: " ", startingAt: 0)) \(sizes.sample) of \(sizes.frame)")
                }
            }
        }
    }

    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pick decided pairs for a blind second review by a different reviewer.",
            discussion: """
                Reviewers meet the sampled pairs in their normal flow, marked as second review; the \
                first verdict, its reviewer, its note and the model's evidence are hidden. When \
                the two verdicts differ the pair is disputed until a quality lead adjudicates it \
                (clerical review --adjudicate).
                """)

        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Option(help: "Sample this share of the decided pairs.") var fraction: Double?
        @Option(help: "Sample this many decided pairs.") var count: Int?
        @Option(help: "Stratify by band (match probability shown, in tenths) or reviewer (the first reviewer).")
        var stratify: SampleRequest.Stratum = .band
        @Option(help: "Seed for the random choice.") var seed: UInt64 = 1

        func validate() throws {
            guard (fraction == nil) != (count == nil) else { throw ValidationError("give --fraction or --count, one of them") }
            if let fraction, !(fraction > 0 && fraction <= 1) { throw ValidationError("--fraction must lie in (0, 1]") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        }

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                var request = SampleRequest(size: fraction.map { .fraction($0) } ?? .count(count!))
                request.stratify = stratify
                request.seed = seed
                let summary: SampleSummary
                if let server = try onServer(queue) {
                    defer { server.close() }
                    summary = try server.sample(request)
                } else {
                    try Reviewers.require(.sample, queue: queue, account: try Identity.current())
                    summary = try QualityReview.sample(queue: queue, request)
                }
                print("Sampled \(summary.picked) of \(summary.eligible) decided pairs for blind second review, by \(stratify.rawValue):")
                for (stratum, n) in summary.byStratum.sorted(by: { $0.key < $1.key }) {
                    print("  \(stratum.padding(toLength: 24, withPad: " ", startingAt: 0)) \(n)")
                }
            }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Agreement between first and second reviews: rate, Cohen's kappa with a 95% interval, confusion table, by band and by reviewer, and the disputes.")

        @Argument(help: "The queue: a file or a postgresql:// URL.") var queue: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                let handle = try openQueueWatch(queue)
                defer { handle.close() }
                try handle.require(.readQualityReport)
                let report = try handle.agreement()
                print(json ? QualityReportText.json(report) : QualityReportText.text(report))
            }
        }
    }
}
