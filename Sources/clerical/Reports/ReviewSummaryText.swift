import ClericalTUI
import Foundation

/// The line `clerical review` prints on quit.
enum ReviewSummaryText {
    static func line(_ summary: ReviewSummary) -> String {
        let verdicts = summary.verdicts == 1 ? "1 verdict" : "\(summary.verdicts) verdicts"
        let pace = summary.medianSecondsPerVerdict.map { String(format: ", median %.1f s a verdict", $0) } ?? ""
        let left = summary.pairsLeft.map { $0 == 1 ? "; 1 pair left to review" : "; \($0) pairs left to review" } ?? ""
        return "This session: \(verdicts)\(pace)\(left)."
    }
}
