import ClericalCore
import Foundation

/// The dashboard's linkage-quality view: `qa quality`'s estimate with its intervals drawn as
/// bars, and the calibration table (the reviewed match rate per tenth of probability, with its
/// interval, against the model's mean probability).
enum DashboardQualityView {
    static func draw(_ estimate: QualityEstimate?, from top: Int, to bottom: Int, into buffer: inout ScreenBuffer) {
        var y = top
        guard let estimate else {
            buffer.put(" Linkage quality: reading the queue…", x: 0, y: y, style: CellStyle(.dim))
            return
        }
        let basis = estimate.intervalBasis == .model ? "95% if the model is calibrated" : "95% intervals"
        buffer.put(" Linkage quality of the final decisions (\(basis))", x: 0, y: y, style: CellStyle(.label, bold: true))
        y += 1
        if estimate.intervalBasis == .model, let needed = estimate.auditVerdictsToBoundF1 {
            buffer.put(" not bounded: \(estimate.modelDecidedPairs) pairs the model decided alone rest on its calibration; about \(needed)+ audit verdicts would bound F1",
                       x: 0, y: y, style: CellStyle(.warning))
            y += 1
        }
        if estimate.intervalBasis == .design, estimate.pairsWaitingInBand > 0 {
            buffer.put(" \(estimate.pairsWaitingInBand) pairs waiting in the band count as the model has them: the intervals assume it is calibrated there",
                       x: 0, y: y, style: CellStyle(.dim))
            y += 1
        }
        if let floors = estimate.whateverTheBandHolds {
            // What holds whatever the band's waiting pairs hold (`whateverTheBandHolds`).
            buffer.put(String(format: " all \(estimate.pairsWaitingInBand) waiting band pairs wrong: P ≥ %.4f · R ≥ %.4f · F1 ≥ %.4f",
                              floors.precision, floors.recall, floors.f1),
                       x: 0, y: y, style: CellStyle(.dim))
            y += 1
        }
        if let more = estimate.auditVerdictsToNarrowF1 {
            buffer.put(" about \(more) more audit verdicts would narrow F1 to ±\(LinkageQuality.targetHalfWidth)", x: 0, y: y, style: CellStyle(.dim))
            y += 1
        }
        // One axis for the three, from a tenth below the lowest figure to 1.
        let measures = [("precision", estimate.precision), ("recall", estimate.recall), ("F1", estimate.f1)]
        let axisLow = max(0, ((measures.map(\.1.low).min() ?? 0) * 10).rounded(.down) / 10 - 0.1)
        let barWidth = max(10, buffer.width - 48)
        for (name, interval) in measures where y < bottom {
            var x = buffer.put(" " + name.padding(toLength: 10, withPad: " ", startingAt: 0), x: 0, y: y, style: CellStyle(.label))
            x += buffer.put(String(format: "%.4f  ", interval.estimate), x: x, y: y, style: CellStyle(.normal, bold: true))
            x += drawInterval(interval, low: axisLow, width: barWidth, x: x, y: y, &buffer)
            buffer.put(String(format: "  %.4f–%.4f", interval.low, interval.high), x: x, y: y, style: CellStyle(.dim))
            y += 1
        }
        if y < bottom {
            buffer.put(String(format: "            axis %.1f … 1.0 · %d pairs, %d reviewed, %d from audit verdicts, %d from the model alone",
                              axisLow, estimate.pairs, estimate.reviewed, estimate.auditedPairs, estimate.modelBasedPairs),
                       x: 0, y: y, style: CellStyle(.dim))
            y += 2
        }
        guard y < bottom else { return }
        buffer.put(" calibration      pairs  reviewed  reviewed match rate (bar: 95% interval, │ mean model probability)", x: 0, y: y,
                   style: CellStyle(.label, bold: true))
        y += 1
        let rateWidth = max(10, buffer.width - 56)
        for row in estimate.calibration where row.pairs > 0 && y < bottom {
            var x = buffer.put(String(format: " %.1f–%.1f  %9d  %8d  ", row.low, row.high, row.pairs, row.reviewed), x: 0, y: y)
            if let rate = row.reviewedMatchRate {
                x += drawInterval(rate, low: 0, width: rateWidth, x: x, y: y, mark: row.meanProbability, &buffer)
                buffer.put(String(format: "  %.3f", rate.estimate), x: x, y: y, style: CellStyle(.normal))
            } else {
                buffer.put("none reviewed", x: x, y: y, style: CellStyle(.dim))
            }
            y += 1
        }
    }

    /// `interval` on an axis from `low` to 1, `width` cells: the interval as a bar, the
    /// estimate as ●, and `mark` (if any) as │. Returns the cells used.
    @discardableResult
    static func drawInterval(_ interval: QualityEstimate.Interval, low: Double, width: Int, x: Int, y: Int, mark: Double? = nil,
                             _ buffer: inout ScreenBuffer) -> Int {
        func cell(_ value: Double) -> Int {
            Int(((min(1, max(low, value)) - low) / max(1e-9, 1 - low) * Double(width - 1)).rounded())
        }
        buffer.repeatCharacter("·", count: width, x: x, y: y, style: CellStyle(.rule))
        let from = cell(interval.low), to = cell(interval.high)
        buffer.repeatCharacter("━", count: to - from + 1, x: x + from, y: y, style: CellStyle(.agree))
        if let mark { buffer.put("│", x: x + cell(mark), y: y, style: CellStyle(.warning)) }
        buffer.put("●", x: x + cell(interval.estimate), y: y, style: CellStyle(.agree, bold: true))
        return width
    }
}
