import ClericalCore
import ClericalStore
import Foundation

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
        lines.append("")
        if report.reveals.isEmpty {
            lines.append("Reveals in masked review: none")
        } else {
            lines.append("Reveals in masked review: reviewer, reveals, pairs revealed of pairs decided")
            for summary in report.reveals {
                lines.append("  \(summary.reviewer.padding(toLength: 22, withPad: " ", startingAt: 0)) \(String(format: "%4d", summary.reveals))  "
                             + "\(summary.pairsRevealed) of \(summary.pairsDecided) (\(String(format: "%.0f%%", 100 * summary.shareRevealed)))")
            }
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
            "reveals": report.reveals.map { ["reviewer": $0.reviewer, "reveals": $0.reveals, "pairs_revealed": $0.pairsRevealed,
                                             "pairs_decided": $0.pairsDecided, "share_revealed": $0.shareRevealed] as [String: Any] },
        ]
        return ReportJSON.encode(object: object)
    }
}
