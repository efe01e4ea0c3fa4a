import ArgumentParser
import ClericalCore
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

        @Argument(help: "The queue file.") var queue: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                try Reviewers.require(.readLinkageQuality, queue: queue, account: try Identity.current())
                let estimate = try LinkageQualityReport.estimate(queue: queue)
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
                probability band (exact counts); none draws a simple random sample. Each drawn \
                pair's inclusion probability is stored, so estimates from the verdicts are \
                design-unbiased. Reviewers meet audit pairs in their normal flow, blind and \
                unmarked, as --share of the pairs offered while the audit lasts; a verdict on one \
                is an ordinary review decision.
                """)

        @Argument(help: "The queue file.") var queue: String
        @Option(help: "Draw this many pairs.") var count: Int?
        @Option(help: "Draw this share of the eligible pairs, in (0, 1].") var fraction: Double?
        @Option(help: "none (simple random) or band (decision side × probability band).") var stratify: AuditStratification = .band
        @Option(help: "Share of the pairs offered to reviewers that come from the audit, in [0, 1].") var share = 0.5
        @Option(help: "Seed for the random draw.") var seed: UInt64 = 1

        func validate() throws {
            guard (fraction == nil) != (count == nil) else { throw ValidationError("give --count or --fraction, one of them") }
            if let fraction, !(fraction > 0 && fraction <= 1) { throw ValidationError("--fraction must lie in (0, 1]") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
            guard share >= 0, share <= 1 else { throw ValidationError("--share must lie in [0, 1]") }
        }

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                let account = try Identity.current()
                try Reviewers.require(.audit, queue: queue, account: account)
                var request = AuditRequest(size: fraction.map { .fraction($0) } ?? .count(count!))
                request.stratify = stratify
                request.share = share
                request.seed = seed
                let summary = try QualityAudit.draw(queue: queue, request, by: account)
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

        @Argument(help: "The queue file.") var queue: String
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
                try Reviewers.require(.sample, queue: queue, account: try Identity.current())
                var request = SampleRequest(size: fraction.map { .fraction($0) } ?? .count(count!))
                request.stratify = stratify
                request.seed = seed
                let summary = try QualityReview.sample(queue: queue, request)
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

        @Argument(help: "The queue file.") var queue: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                try Reviewers.require(.readQualityReport, queue: queue, account: try Identity.current())
                let report = try QualityReview.report(queue: queue)
                print(json ? QualityReportText.json(report) : QualityReportText.text(report))
            }
        }
    }
}

enum QualityReportText {
    static func number(_ value: Double) -> String { value.isNaN ? "–" : String(format: "%.3f", value) }

    static func text(_ report: QualityReport) -> String {
        var lines = ["\(report.sampled) pairs sampled for second review, \(report.awaitingSecondReview) still waiting; \(report.overall.pairs) reviewed twice"]
        let overall = report.overall
        let interval = overall.kappaInterval
        lines.append("Agreement \(number(overall.observed))   Cohen's kappa \(number(overall.kappa)) (95% interval \(number(interval.low)) to \(number(interval.high)))")
        lines.append("")
        lines.append("                    second: match  non-match  unsure")
        for (i, first) in Agreement.categories.enumerated() {
            let row = overall.table[i].map { String(format: "%10d", $0) }.joined(separator: " ")
            lines.append("  first: \(first.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(row)")
        }
        for (title, groups) in [("By band", report.byBand), ("By first reviewer", report.byReviewer)] {
            lines.append("")
            lines.append("\(title): pairs, agreement, kappa, overturned")
            for group in groups {
                let overturn = group.settled > 0 ? String(format: "%.0f%% of %d settled", 100 * Double(group.overturned) / Double(group.settled), group.settled) : "none settled"
                lines.append("  \(group.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(String(format: "%4d", group.agreement.pairs))  \(number(group.agreement.observed))  \(number(group.agreement.kappa))  \(overturn)")
            }
        }
        lines.append("")
        lines.append("Disputes: \(report.disputes.count) (\(report.disputes.filter { $0.adjudicated == nil }.count) waiting for adjudication)")
        for dispute in report.disputes {
            func side(_ v: DisputedVerdict) -> String { "\(v.reviewer): \(v.verdict.rawValue)" + (v.note.map { " “\($0)”" } ?? "") }
            lines.append("  #\(dispute.pairID) \(dispute.left) | \(dispute.right)   \(side(dispute.first))   vs   \(side(dispute.second))"
                         + (dispute.adjudicated.map { "   → adjudicated \($0.rawValue)" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ report: QualityReport) -> String {
        func agreement(_ a: Agreement) -> [String: Any] {
            let interval = a.kappaInterval
            func value(_ x: Double) -> Any { x.isNaN ? NSNull() : x }
            return ["pairs": a.pairs, "agreement": value(a.observed), "kappa": value(a.kappa),
                    "kappa_low": value(interval.low), "kappa_high": value(interval.high),
                    "confusion": a.table, "categories": Agreement.categories.map(\.rawValue)]
        }
        func group(_ g: AgreementGroup) -> [String: Any] {
            ["name": g.name, "agreement": agreement(g.agreement), "overturned": g.overturned, "settled": g.settled]
        }
        func verdict(_ v: DisputedVerdict) -> [String: Any] { ["reviewer": v.reviewer, "verdict": v.verdict.rawValue, "note": v.note ?? NSNull()] }
        let object: [String: Any] = [
            "sampled": report.sampled, "awaiting_second_review": report.awaitingSecondReview,
            "overall": agreement(report.overall),
            "by_band": report.byBand.map(group), "by_reviewer": report.byReviewer.map(group),
            "disputes": report.disputes.map { ["pair_id": $0.pairID, "unique_id_l": $0.left, "unique_id_r": $0.right,
                                               "first": verdict($0.first), "second": verdict($0.second),
                                               "adjudicated": $0.adjudicated?.rawValue ?? NSNull()] as [String: Any] },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
