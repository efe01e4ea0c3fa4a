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
        LinkageQuality.estimate(try input(db))
    }

    /// The estimator's input: patterns with their verdicts and the audit cells covering them.
    package static func input(_ db: some QueueReading) throws -> QualityInput {
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
        // Audit strata are keyed "audit id/stratum". A pattern several audits cover falls in one
        // cell of their strata together ("1/match 0.99–0.999 + 2/match 0.99–0.999"): each later
        // audit drew from what the earlier ones left of the same pairs (a frame excludes pairs
        // already drawn), so within a cell the draws of all of them are, given how many, one simple
        // random sample of the cell's pairs: the latest frame's and those the earlier audits drew.
        // A top-up audit thus narrows the estimate where the earlier one left it wide; where one
        // audit covers a pattern, its cell is its stratum.
        var coveringAudits: [Int64: [(audit: Int64, key: String, pairs: Int)]] = [:]  // pattern → audits, oldest first
        for row in try db.queueRows("SELECT audit_id, stratum, pattern_id, pairs FROM audit_frame ORDER BY audit_id") {
            coveringAudits[row.int64("pattern_id"), default: []].append(
                (row.int64("audit_id"), "\(row.int64("audit_id"))/\(row.text("stratum"))", row.int("pairs")))
        }
        func cell(_ patternID: Int64, _ auditKey: String) -> String {
            guard let audits = coveringAudits[patternID], audits.count > 1 else { return auditKey }
            return audits.map(\.key).joined(separator: " + ")
        }
        var verdicts: [QualityInput.AuditVerdict] = []
        var drawn: [Int64: [Int64: Int]] = [:]  // pattern → audit → pairs it drew there
        var reviewedDrawn: [Int64: Int] = [:]  // pattern → drawn pairs now reviewed
        for row in try db.queueRows("""
            SELECT a.pair_id, a.audit_id, a.stratum, p.pattern_id FROM audit_pair a JOIN pair p ON p.id = a.pair_id ORDER BY a.pair_id
            """) {
            let patternID = row.int64("pattern_id")
            drawn[patternID, default: [:]][row.int64("audit_id"), default: 0] += 1
            guard let isMatch = verdictByPair[row.int64("pair_id")] else { continue }
            verdicts.append(.init(stratum: cell(patternID, "\(row.int64("audit_id"))/\(row.text("stratum"))"),
                                  probability: patterns[patternID]?.probability ?? 0, isMatch: isMatch))
            reviewedDrawn[patternID, default: 0] += 1
        }
        // Each cell stands for its frame's pairs of a pattern that are still unreviewed.
        var frameSizes: [String: Int] = [:]
        var covered: [Int64: [String: Int]] = [:]
        for (patternID, audits) in coveringAudits {
            guard let latest = audits.last else { continue }
            let earlierDrawn = audits.dropLast().reduce(0) { $0 + (drawn[patternID]?[$1.audit] ?? 0) }
            let key = cell(patternID, latest.key)
            frameSizes[key, default: 0] += latest.pairs + earlierDrawn
            covered[patternID] = [key: latest.pairs + earlierDrawn - (reviewedDrawn[patternID] ?? 0)]
        }
        return QualityInput(
            patterns: patterns.keys.sorted().map { id in
                let p = patterns[id]!
                return QualityInput.Pattern(probability: p.probability, reviewedMatches: p.matches, reviewedNonMatches: p.nonMatches,
                                            unreviewed: p.pairs - p.matches - p.nonMatches, covered: covered[id] ?? [:],
                                            inReviewBand: p.inBand)
            },
            auditVerdicts: verdicts, frameSizes: frameSizes)
    }
}
