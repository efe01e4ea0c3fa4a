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
    }

    /// Re-scores every pattern under `scorer` (nil keeps the stored scores), puts patterns whose score lies in `band` in
    /// the review queue, and gives each its review priority. A queued pattern whose score
    /// leaves the band stays queued unless `decideOutsideBand`.
    @discardableResult
    static func rescore(_ db: Database, with scorer: (any PatternScoring)?, band: ReviewBand, decideOutsideBand: Bool) throws -> Moves {
        var moves = Moves()
        let patterns = try Row.fetchAll(db, sql: "SELECT id, gammas, in_band, open_count, served, match_weight FROM pattern")
        let update = try RawStatement(db, sql: """
            UPDATE pattern SET match_weight = ?, match_probability = ?, in_band = ?, review_priority = ? WHERE id = ?
            """)
        for pattern in patterns {
            let score = scorer?.score(gammas: PatternKey.gammas(pattern["gammas"])) ?? PatternScore(matchWeight: pattern["match_weight"])
            let wasInBand: Bool = pattern["in_band"]
            let open: Int = pattern["open_count"]
            let inside = band.contains(matchWeight: score.matchWeight, matchProbability: score.matchProbability)
            if inside && !wasInBand { moves.movedIntoReview += open }
            if !inside && wasInBand {
                moves.leftReview += open
                if decideOutsideBand { moves.decidedByModel += open }
            }
            let inBand = inside || (wasInBand && !decideOutsideBand)
            update.bind(1, score.matchWeight)
            update.bind(2, score.matchProbability)
            update.bind(3, Int64(inBand ? 1 : 0))
            update.bind(4, ReviewPriority.of(probability: score.matchProbability, rankInPattern: pattern["served"]))
            update.bind(5, pattern["id"] as Int64)
            try update.step()
        }
        return moves
    }
}
