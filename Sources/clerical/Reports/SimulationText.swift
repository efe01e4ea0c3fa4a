import ClericalCore
import ClericalStore
import Foundation

/// `clerical simulate`'s text report: the learning curve, with the estimate beside the truth.
enum SimulationText {
    static func text(_ report: SimulationReport) -> String {
        var lines = ["Simulated \(report.reviewers) reviewer\(report.reviewers == 1 ? "" : "s") on a copy of \(report.queue), \(report.order) order, error rate \(report.errorRate), seed \(report.seed)"]
        lines.append("Scored on the \(report.pairsWithTruth) pairs the truth file covers, at match probability 0.5.")
        lines.append("")
        lines.append("  verdicts  model  precision    recall        F1  largest weight change  pending   final F1  est. precision (95%)     est. recall (95%)        model kept")
        for step in report.steps {
            let e = step.estimate
            let mark = e.intervalBasis == .model ? " *" : ""
            lines.append(String(format: "  %8d  %5lld  %9.4f  %8.4f  %8.4f  %21.3f  %7d  %9.4f  %.4f (%.4f–%.4f)  %.4f (%.4f–%.4f)  %@%@",
                                step.verdicts, step.modelVersion, step.precision, step.recall, step.f1, step.largestWeightChange, step.pending,
                                step.final.f1, e.precision, e.precisionLow, e.precisionHigh, e.recall, e.recallLow, e.recallHigh, step.model, mark))
        }
        lines.append("")
        lines.append("precision, recall, F1: the model at 0.5 against the truth file. final F1: the final decisions (verdicts where given,")
        lines.append("the model elsewhere) against it. est.: qa quality's estimate of the final decisions, from the queue alone.")
        if report.steps.contains(where: { $0.estimate.intervalBasis == .model }) {
            lines.append("* model-based: some pairs the model decided alone have no audit verdict, so the interval holds only if the model")
            lines.append("  is calibrated there and bounds no error it cannot see (draw an audit: --audit-share).")
        }
        if report.wrongVerdicts > 0 { lines.append("\n\(report.wrongVerdicts) verdicts were wrong on purpose.") }
        if report.unsureWithoutTruth > 0 { lines.append("\(report.unsureWithoutTruth) pairs were not in the truth file and were judged unsure.") }
        if let reason = report.stoppedEarly { lines.append("Stopped early: \(reason).") }
        return lines.joined(separator: "\n")
    }

    static func json(_ report: SimulationReport) -> String { ReportJSON.encode(report) }
}
