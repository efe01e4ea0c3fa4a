import ClericalCore
import ClericalStore
import Foundation

extension ReestimationReport {
    /// The human-readable report: what moved, by how much, and what it implies.
    func text() -> String {
        var lines: [String] = []
        let labelText = "\(labels.matches) match, \(labels.nonMatches) non-match (\(labels.unsure) unsure, not clamped)"
        lines.append("Model version \(modelVersion) (from \(previousModelVersion)): EM over \(QueueStatus.count(pairs)) pairs in \(QueueStatus.count(patterns)) patterns")
        lines.append("  labels     \(labelText)")
        lines.append("  iterations \(iterations)\(converged ? "" : " (stopped at --max-iterations before converging)"), log-likelihood \(String(format: "%.4f", logLikelihood))")
        lines.append("  λ          \(QueueStatus.number(lambdaBefore)) → \(QueueStatus.number(lambdaAfter))")
        if fixedU { lines.append("  u          kept as it was (--fix-u)") }
        if let model {
            lines.append("")
            let kept = model == .imported ? "imported" : model.rawValue + (conditionalOnCandidates == true ? " (candidate set)" : "")
            lines.append("Model kept: \(kept) (\(modelReason ?? ""))")
            if let losses = heldOutLogLoss {
                for (name, loss) in losses.sorted(by: { $0.value < $1.value }) {
                    lines.append("  held-out log-loss \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(String(format: "%.4f", loss)) nats per verdict\(name == kept ? "  ← kept" : "")")
                }
            }
            if let correctionPenalty {
                let grid = ModelSelection.penalties.map { QueueStatus.number($0) }.joined(separator: ", ")
                lines.append("  correction's ridge penalty \(QueueStatus.number(correctionPenalty)) (the best held-out log-loss among \(grid))")
            }
            if let interactions, !interactions.isEmpty {
                lines.append("  strongest interactions learned from verdicts (bits):")
                for interaction in interactions {
                    lines.append("    \(interaction.first) × \(interaction.second): \(String(format: "%+.1f", interaction.bits))")
                }
            }
            if let pairsChangedDecision {
                lines.append("  \(QueueStatus.count(pairsChangedDecision)) pairs changed decision (at probability 0.5)")
            }
        }
        lines.append("")
        lines.append("  comparison / level".padding(toLength: 50, withPad: " ", startingAt: 0)
                     + "m before → after        u before → after        weight before → after")
        var comparison = ""
        for level in levels {
            if level.comparison != comparison {
                comparison = level.comparison
                lines.append("  \(comparison)")
            }
            let label = String(level.label.prefix(44)).padding(toLength: 44, withPad: " ", startingAt: 0)
            lines.append("    \(label)  \(Self.pair(level.before.m, level.after.m))  \(Self.pair(level.before.u, level.after.u))  "
                         + String(format: "%+7.2f → %+7.2f", level.before.weight, level.after.weight))
        }
        lines.append("")
        lines.append("Review band (\(band.band))")
        lines.append("  \(band.movedIntoReview) pairs the model had decided now fall inside it and are queued for review")
        if let contested = band.contested, contested > 0 {
            lines.append("  \(contested) pending pairs are queued because the kept model decides their pattern the other way from the imported model")
            if let held = heldOverturns, held > 0 {
                let record = overturnRecord ?? OverturnRecord()
                lines.append("  \(held) of them, on patterns no verdict has reached, stay decided as the imported model decides them until verdicts bear such overturns out (so far \(record.agreeing) sided with an overturn, \(record.disagreeing) against)")
            }
        }
        if band.decidedByModel > 0 {
            lines.append("  \(band.leftReview) pending pairs now fall outside it; the model decided \(band.decidedByModel) of them")
        } else {
            lines.append("  \(band.leftReview) pending pairs now fall outside it (still queued; --decide-outside-band lets the model decide them)")
        }
        lines.append("")
        lines.append("Suggested thresholds (targets: false-match rate \(QueueStatus.number(thresholds.targetFalseMatchRate)), missed-match rate \(QueueStatus.number(thresholds.targetMissedMatchRate)))")
        lines.append("  match at probability ≥ \(Self.probability(thresholds.high)) (expected false-match rate \(Self.rate(thresholds.expectedFalseMatchRate)))")
        lines.append("  non-match below \(Self.probability(thresholds.low)) (expected missed-match rate \(Self.rate(thresholds.expectedMissedMatchRate)))")
        lines.append("  review band \(Self.probability(thresholds.low)):\(Self.probability(thresholds.high)) holds \(QueueStatus.count(thresholds.pairsInBand)) pairs")
        lines.append("")
        lines.append(String(format: "Done in %.3f s.", seconds))
        return lines.joined(separator: "\n")
    }

    /// The stable JSON form (ReportJSON), with the largest weight change, a computed value.
    func json() -> String { ReportJSON.encode(self, adding: ["largest_weight_change": largestWeightChange]) }

    private static func pair(_ before: Double?, _ after: Double?) -> String {
        func text(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "  –   " }
        return "\(text(before)) → \(text(after))"
    }

    private static func probability(_ p: Double) -> String { String(format: "%.4g", p) }
    private static func rate(_ r: Double) -> String { String(format: "%.4f", r) }
}
