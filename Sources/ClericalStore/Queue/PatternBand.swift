import ClericalCore
import GRDB

/// Pattern scores, the review band and the review order, all kept on the pattern rows.
///
/// A pair's score is its pattern's, so whether it goes to people is decided per pattern
/// (`pattern.in_band`) and so is its place in the queue (`pattern.review_priority`, for the
/// pattern's next pair). Re-scoring a queue of millions of pairs writes a few thousand rows.
enum PatternBand {
    struct Moves {
        /// Open pairs of patterns that entered the band.
        var movedIntoReview = 0
        /// Open pairs of queued patterns whose score now lies outside the band.
        var leftReview = 0
        /// Of those, the pairs handed to the model (`decideOutsideBand`).
        var decidedByModel = 0
        /// Open pairs of patterns queued because the reference model decides them the other way.
        var contested = 0
        /// Of those, the pairs of held patterns: decided as the reference model decides them.
        var held = 0
    }

    /// Re-scores every pattern under `scorer` (nil keeps the stored scores), puts patterns whose score lies in `band` in
    /// the review queue, and gives each its review priority. A queued pattern whose score
    /// leaves the band stays queued unless `decideOutsideBand`.
    ///
    /// Patterns that `contestedBy` (the imported model) decides the other way at probability
    /// 0.5 are queued too. Held-out verdicts from the band cannot tell a refitted model that
    /// holds outside the band from one whose EM found the wrong split there and overturns
    /// thousands of decisions no verdict has reached; a few verdicts on the overturned
    /// patterns can, at the next re-estimation. A contested pattern's first pair is ordered by
    /// `ReviewPriority.of(probability:overturning:openPairs:)`; once one of its pairs is
    /// served, it is ordered by its own score, by the queue's trigger and here alike (by the two
    /// models' mean it sank behind every fresh overturn at each re-estimation, and a pattern one
    /// contrary verdict had turned waited hundreds of verdicts for a second), and here also by
    /// what more verdicts could gain on it (`ReviewPriority.of(probability:verdicts:openPairs:rankInPattern:)`).
    ///
    /// A contested pattern in `holding` (an overturn no verdict has borne out) is queued like
    /// the others, but stored with the reference model's score, so that until a verdict
    /// reaches it the reference model decides it.
    @discardableResult
    static func rescore(_ db: some QueueWriting, with scorer: (any PatternScoring)?, band: ReviewBand, decideOutsideBand: Bool,
                        contestedBy reference: (any PatternScoring)? = nil, holding: Set<Int64> = []) throws -> Moves {
        var moves = Moves()
        var updates: [TableValue] = []
        for pattern in try db.queueRows("""
            SELECT p.id, p.gammas, p.in_band, p.open_count, p.served, p.match_weight,
                   coalesce(v.matches, 0) + coalesce(v.non_matches, 0) AS verdicts
            FROM pattern p LEFT JOIN pattern_verdicts v ON v.pattern_id = p.id
            """) {
            let gammas = PatternKey.gammas(pattern.text("gammas"))
            let score = scorer?.score(gammas: gammas) ?? PatternScore(matchWeight: pattern.double("match_weight"))
            let wasInBand = pattern.bool("in_band")
            let open = pattern.int("open_count")
            let referenceProbability = reference?.score(gammas: gammas).matchProbability
            let contested = referenceProbability.map { ($0 >= 0.5) != (score.matchProbability >= 0.5) } ?? false
            if contested { moves.contested += open }
            let inside = contested || band.contains(matchWeight: score.matchWeight, matchProbability: score.matchProbability)
            if inside && !wasInBand { moves.movedIntoReview += open }
            if !inside && wasInBand {
                moves.leftReview += open
                if decideOutsideBand { moves.decidedByModel += open }
            }
            let inBand = inside || (wasInBand && !decideOutsideBand)
            let served = pattern.int("served")
            let held = contested && holding.contains(pattern.int64("id"))
            if held { moves.held += open }
            let stored = held ? reference!.score(gammas: gammas) : score
            updates += [.integer(pattern.int64("id")), .real(stored.matchWeight), .real(stored.matchProbability), .integer(inBand ? 1 : 0),
                        .real(contested && served == 0
                              ? ReviewPriority.of(probability: score.matchProbability, overturning: referenceProbability!, openPairs: open)
                              : ReviewPriority.of(probability: stored.matchProbability, verdicts: pattern.int("verdicts"),
                                                  openPairs: open, rankInPattern: served))]
        }
        try write(updates, db)
        return moves
    }

    /// Up to `rowsPerStatement` patterns' scores per UPDATE, from a VALUES list (its columns
    /// are column1… on both backends): a few statements for thousands of patterns, where one
    /// per pattern would be thousands of round trips to a server.
    private static func write(_ updates: [TableValue], _ db: some QueueWriting) throws {
        let width = 5, rowsPerStatement = 500
        var offset = 0
        while offset < updates.count {
            let rows = min(rowsPerStatement, (updates.count - offset) / width)
            let values = Array(repeating: "(CAST(? AS bigint), CAST(? AS double precision), CAST(? AS double precision), CAST(? AS bigint), CAST(? AS double precision))",
                               count: rows).joined(separator: ", ")
            try db.queueExecute("""
                UPDATE pattern SET match_weight = v.column2, match_probability = v.column3, in_band = v.column4, review_priority = v.column5
                FROM (VALUES \(values)) AS v WHERE pattern.id = v.column1
                """, Array(updates[offset..<(offset + rows * width)]))
            offset += rows * width
        }
    }
}
