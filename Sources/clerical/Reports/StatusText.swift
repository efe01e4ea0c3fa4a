import ClericalCore
import ClericalStore
import Foundation

extension QueueStatus {
    /// The human-readable status report.
    /// The stable JSON form (ReportJSON).
    func json() -> String { ReportJSON.encode(self) }

    func text() -> String {
        var lines: [String] = []
        let bandText = "\(reviewBand.kind) \(Self.number(reviewBand.low)):\(Self.number(reviewBand.high))"
        lines.append("Queue     \(queue)")
        lines.append("Job       \(linkType), review band: match \(bandText)")
        lines.append("Pairs     \(Self.count(pairs.total)) in all: \(Self.count(pairs.awaitingReview)) pending, \(Self.count(pairs.claimed)) claimed, \(Self.count(pairs.decided)) decided, \(Self.count(pairs.disputed)) disputed, \(Self.count(pairs.decidedByModel)) decided by the model")
        lines.append("Records   \(Self.count(records))")
        lines.append("Patterns  \(Self.count(patterns)) distinct comparison vectors")
        lines.append("")
        lines.append("Pending pairs by match probability")
        let largest = max(1, pendingByProbability.map(\.count).max() ?? 1)
        for bin in pendingByProbability {
            let width = bin.count == 0 ? 0 : max(1, bin.count * 30 / largest)
            let bar = String(repeating: "█", count: width).padding(toLength: 30, withPad: " ", startingAt: 0)
            lines.append("  \(String(format: "%.1f–%.1f", bin.low, bin.high))  \(bar) \(Self.count(bin.count))")
        }
        if let current = modelVersions.last {
            lines.append("")
            lines.append("Comparisons (model version \(current.id), λ = \(Self.number(current.lambda)))")
            for comparison in comparisons {
                lines.append("  \(comparison.name)\(comparison.description.map { "  (\($0))" } ?? "")")
                lines.append("      γ  " + "level".padding(toLength: 44, withPad: " ", startingAt: 0) + "         m          u    weight")
                for level in comparison.levels {
                    let label = String(level.label.prefix(44)).padding(toLength: 44, withPad: " ", startingAt: 0)
                    let m = level.m.map { String(format: "%10.6f", $0) } ?? "         –"
                    let u = level.u.map { String(format: "%10.6f", $0) } ?? "         –"
                    let weight = level.isNull ? "         –" : String(format: "%+10.2f", level.weight)
                    lines.append(String(format: "    %3d  ", level.gamma) + label + " " + m + " " + u + weight)
                }
            }
        }
        lines.append("")
        lines.append("Model versions")
        for version in modelVersions {
            var text = "  #\(version.id)  \(version.createdAt)  \(version.origin)  λ = \(Self.number(version.lambda))"
            if let labels = version.labelCount { text += "  \(labels) labels" }
            if let iterations = version.iterations { text += "  \(iterations) iterations" }
            if let note = version.note { text += "  — \(note)" }
            lines.append(text)
        }
        lines.append("")
        if decisions.total == 0 {
            lines.append("Decisions none yet")
        } else {
            lines.append("Decisions \(Self.count(decisions.total)): \(Self.count(decisions.match)) match, \(Self.count(decisions.nonMatch)) non-match, \(Self.count(decisions.unsure)) unsure")
            for reviewer in decisions.byReviewer {
                lines.append("  \(reviewer.reviewer): \(reviewer.total) (\(reviewer.match) match, \(reviewer.nonMatch) non-match, \(reviewer.unsure) unsure)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func count(_ n: Int) -> String {
        let digits = String(n)
        var result = ""
        for (i, character) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return result
    }

    static func number(_ value: Double) -> String {
        String(format: "%g", value)
    }
}
