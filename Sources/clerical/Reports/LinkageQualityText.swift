import ClericalCore
import Foundation

/// `clerical qa quality` for people.
enum LinkageQualityText {
    static func text(_ estimate: QualityEstimate) -> String {
        // An interval that rests on the model's calibration says so where it is read.
        let kind = estimate.intervalBasis == .model ? "95%% if the model is calibrated" : "95%% interval"
        func interval(_ i: QualityEstimate.Interval, _ digits: Int = 4) -> String {
            let f = "%.\(digits)f"
            return String(format: "\(f)  (\(kind) \(f) to \(f))", i.estimate, i.low, i.high)
        }
        var lines = ["Linkage quality of the final decisions: \(estimate.pairs) pairs, \(estimate.reviewed) reviewed (known exactly), "
                     + "\(estimate.auditedPairs) estimated from \(estimate.auditVerdicts) audit verdicts, \(estimate.modelBasedPairs) from the model alone"]
        if estimate.intervalBasis == .model, let needed = estimate.auditVerdictsToBoundF1 {
            lines.append("  not bounded: \(estimate.modelDecidedPairs) pairs the model decided alone rest on its calibration; at least about \(needed) more audit verdicts would bound F1 to ±\(LinkageQuality.targetHalfWidth)")
        }
        if estimate.intervalBasis == .design, estimate.pairsWaitingInBand > 0 {
            lines.append("  \(estimate.pairsWaitingInBand) pairs waiting in the review band count as the model has them: the intervals hold only if it is calibrated there")
        }
        if let floors = estimate.whateverTheBandHolds {
            lines.append(String(format: "  whatever the band's waiting pairs hold: precision at least %.4f, recall at least %.4f, F1 at least %.4f",
                                floors.precision, floors.recall, floors.f1))
        }
        if let more = estimate.auditVerdictsToNarrowF1 {
            lines.append("  about \(more) more audit verdicts (qa audit --count \(more) --allocation neyman) would narrow F1 to ±\(LinkageQuality.targetHalfWidth)")
        }
        lines.append("  precision      \(interval(estimate.precision))")
        lines.append("  recall         \(interval(estimate.recall))")
        lines.append("  F1             \(interval(estimate.f1))")
        lines.append("  false matches  \(interval(estimate.falseMatches, 0))")
        lines.append("  missed matches \(interval(estimate.missedMatches, 0))")
        lines.append("")
        lines.append("  probability band     pairs  reviewed  est. false matches  est. missed matches")
        for band in estimate.bands where band.pairs > 0 {
            let name = "\(band.low)–\(band.high)".padding(toLength: 17, withPad: " ", startingAt: 0)
            lines.append(String(format: "  %@  %8d  %8d  %18.1f  %19.1f", name, band.pairs, band.reviewed, band.falseMatches, band.missedMatches))
        }
        lines.append("")
        lines.append("  calibration    pairs  reviewed  reviewed match rate (95% interval)  mean model probability")
        for row in estimate.calibration where row.pairs > 0 {
            let rate = row.reviewedMatchRate.map { String(format: "%.3f (%.3f to %.3f)", $0.estimate, $0.low, $0.high) } ?? "–"
            lines.append(String(format: "  %.1f–%.1f  %9d  %8d  %-34@  %.3f", row.low, row.high, row.pairs, row.reviewed, rate, row.meanProbability))
        }
        lines.append("")
        lines += estimate.notes.map { "Note: \($0)" }
        return lines.joined(separator: "\n")
    }
}
