import ClericalCore
import Foundation
import GRDB

/// Reads what `LinkageQuality` needs from a queue: O(patterns + verdicts + audit pairs).
public enum LinkageQualityReport {
    public static func estimate(queue path: String) throws(ClericalError) -> QualityEstimate {
        try QueueFile.using(path) { db in try estimate(db) }
    }

    private struct PatternRow { var probability: Double; var pairs: Int; var inBand: Bool; var matches = 0; var nonMatches = 0 }

    package static func estimate(_ db: some QueueReading) throws -> QualityEstimate {
        var patterns: [Int64: PatternRow] = [:]
        for row in try db.queueRows("SELECT id, match_probability, pair_count, in_band FROM pattern") {
            patterns[row.int64("id")] = PatternRow(probability: row.double("match_probability"), pairs: row.int("pair_count"),
                                                   inBand: row.bool("in_band"))
        }
        var verdictByPair: [Int64: Bool] = [:]
        for labelled in try FinalVerdictQuery.all(db) where labelled.verdict != .unsure {
            let isMatch = labelled.verdict == .match
            verdictByPair[labelled.pairID] = isMatch
            if isMatch { patterns[labelled.patternID]?.matches += 1 } else { patterns[labelled.patternID]?.nonMatches += 1 }
        }
        // Audit strata are keyed "audit id/stratum": each audit is a sample of its own frame.
        var frameSizes: [String: Int] = [:]
        for row in try db.queueRows("SELECT audit_id, stratum, frame_size FROM audit_stratum") {
            frameSizes["\(row.int64("audit_id"))/\(row.text("stratum"))"] = row.int("frame_size")
        }
        var verdicts: [QualityInput.AuditVerdict] = []
        var reviewedDrawn: [String: [Int64: Int]] = [:]  // stratum → pattern → drawn pairs now reviewed
        for row in try db.queueRows("""
            SELECT a.pair_id, a.audit_id, a.stratum, p.pattern_id FROM audit_pair a JOIN pair p ON p.id = a.pair_id ORDER BY a.pair_id
            """) {
            let key = "\(row.int64("audit_id"))/\(row.text("stratum"))"
            let patternID = row.int64("pattern_id")
            guard let isMatch = verdictByPair[row.int64("pair_id")] else { continue }
            verdicts.append(.init(stratum: key, probability: patterns[patternID]?.probability ?? 0, isMatch: isMatch))
            reviewedDrawn[key, default: [:]][patternID, default: 0] += 1
        }
        // Each stratum stands for its frame's pairs of a pattern that are still unreviewed.
        var covered: [Int64: [String: Int]] = [:]
        for row in try db.queueRows("SELECT audit_id, stratum, pattern_id, pairs FROM audit_frame") {
            let key = "\(row.int64("audit_id"))/\(row.text("stratum"))"
            let patternID = row.int64("pattern_id")
            let pairs = row.int("pairs")
            covered[patternID, default: [:]][key] = pairs - (reviewedDrawn[key]?[patternID] ?? 0)
        }
        let input = QualityInput(
            patterns: patterns.keys.sorted().map { id in
                let p = patterns[id]!
                return QualityInput.Pattern(probability: p.probability, reviewedMatches: p.matches, reviewedNonMatches: p.nonMatches,
                                            unreviewed: p.pairs - p.matches - p.nonMatches, covered: covered[id] ?? [:],
                                            inReviewBand: p.inBand)
            },
            auditVerdicts: verdicts, frameSizes: frameSizes)
        return LinkageQuality.estimate(input)
    }
}
