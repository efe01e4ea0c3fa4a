import Foundation

/// What the linkage-quality estimate reads: the queue's pairs by pattern, how each is known
/// (reviewed, covered by an audit stratum, or neither), and the audit's verdicts.
public struct QualityInput: Sendable {
    public struct Pattern: Sendable {
        /// The current model's probability: pairs without a verdict are decided at 0.5 by it.
        public var probability: Double
        public var reviewedMatches: Int
        public var reviewedNonMatches: Int
        /// Pairs without a match or non-match verdict.
        public var unreviewed: Int
        /// Of those, how many each audit stratum's sample stands for (stratum key → pairs).
        public var covered: [String: Int]
        /// Whether its unreviewed pairs wait for review (in the band) rather than stand decided
        /// by the model alone.
        public var inReviewBand: Bool

        public init(probability: Double, reviewedMatches: Int, reviewedNonMatches: Int, unreviewed: Int,
                    covered: [String: Int] = [:], inReviewBand: Bool = false) {
            self.probability = probability
            self.reviewedMatches = reviewedMatches
            self.reviewedNonMatches = reviewedNonMatches
            self.unreviewed = unreviewed
            self.covered = covered
            self.inReviewBand = inReviewBand
        }
    }

    /// A verdict on an audit pair: its stratum, its pattern's current probability, the truth.
    public struct AuditVerdict: Sendable {
        public var stratum: String
        public var probability: Double
        public var isMatch: Bool

        public init(stratum: String, probability: Double, isMatch: Bool) {
            self.stratum = stratum
            self.probability = probability
            self.isMatch = isMatch
        }
    }

    public var patterns: [Pattern]
    public var auditVerdicts: [AuditVerdict]
    /// Frame size of each audit stratum, for the finite-population correction.
    public var frameSizes: [String: Int]

    public init(patterns: [Pattern], auditVerdicts: [AuditVerdict], frameSizes: [String: Int]) {
        self.patterns = patterns
        self.auditVerdicts = auditVerdicts
        self.frameSizes = frameSizes
    }
}

/// Precision, recall and F1 of the queue's final decisions (verdicts where given, the model at
/// 0.5 elsewhere), with 95% intervals, false and missed matches by band, and calibration.
public struct QualityEstimate: Sendable, Codable, Equatable {
    public struct Interval: Sendable, Codable, Equatable {
        public var estimate: Double
        public var low: Double
        public var high: Double
    }

    public struct Band: Sendable, Codable, Equatable {
        public var low: Double
        public var high: Double
        public var pairs: Int
        public var reviewed: Int
        public var falseMatches: Double
        public var missedMatches: Double
    }

    public struct Calibration: Sendable, Codable, Equatable {
        public var low: Double
        public var high: Double
        public var pairs: Int
        public var reviewed: Int
        /// Share of reviewed pairs that are matches, with its Wilson 95% interval.
        public var reviewedMatchRate: Interval?
        public var meanProbability: Double
    }

    /// What the intervals rest on: every pair reviewed (`exact`); verdicts and audit samples
    /// for every pair the model decided alone (`design`; pairs still waiting in the review band
    /// are the model's until reviewed); or, for some pairs the model decided and nobody looked
    /// at, the model's own probabilities (`model`): then they hold only if the model is
    /// calibrated there, which is what an audit would test, and bound no error it cannot see.
    public enum Basis: String, Sendable, Codable, Equatable { case exact, design, model }

    public var intervalBasis: Basis
    /// With a `model` basis: at least about how many more audit verdicts (a new audit,
    /// stratified by band) would bound F1 to ±`LinkageQuality.targetHalfWidth` by design alone.
    public var auditVerdictsToBoundF1: Int?
    /// With audit verdicts behind the intervals and F1's still wider than
    /// ±`LinkageQuality.targetHalfWidth`: about how many more audit verdicts, split across the
    /// audit's strata for the least variance (`qa audit --allocation neyman`), would narrow it
    /// to that, if errors turn up at the rates seen so far; nil when it is narrow enough, or when
    /// what keeps it wide is not the audit (no number of audit verdicts would do).
    public var auditVerdictsToNarrowF1: Int?
    public var precision: Interval
    public var recall: Interval
    public var f1: Interval
    public var falseMatches: Interval
    public var missedMatches: Interval
    public var pairs: Int
    /// Pairs known exactly: a match or non-match verdict.
    public var reviewed: Int
    public var auditVerdicts: Int
    /// Unreviewed pairs estimated from an audit sample (design-based).
    public var auditedPairs: Int
    /// Unreviewed pairs estimated from the model's own probabilities (model-based).
    public var modelBasedPairs: Int
    /// Of those, the pairs the model decided alone (outside the review band): what an audit
    /// measures.
    public var modelDecidedPairs: Int
    /// The rest of them wait in the review band: no verdict or audit reaches them yet.
    public var pairsWaitingInBand: Int { modelBasedPairs - modelDecidedPairs }
    public var bands: [Band]
    public var calibration: [Calibration]
    /// With pairs waiting in the review band, which no verdict or audit reaches yet: precision,
    /// recall and F1 at the low ends of their intervals if every one of them were an error (the
    /// decided matches all false, the decided non-matches all missed matches). What holds
    /// whatever the band holds; nil when no pair waits.
    public var whateverTheBandHolds: Floors?
    /// What the figures cannot say, in plain words.
    public var notes: [String]

    public struct Floors: Sendable, Codable, Equatable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
    }
}

/// The estimator behind `clerical qa quality`.
///
/// The pairs fall in three parts. Reviewed pairs are known exactly. Unreviewed pairs an audit
/// stratum covers are estimated from its sample's verdicts (a ratio estimator with the
/// finite-population correction; each cell a stratum's pairs can fall in gets half a pair added
/// to its share for the variance, as Agresti–Coull do; a stratum whose pairs are all decided
/// matches cannot hold a missed match, and gets no phantom one). The strata where the audit saw
/// no error get an exact bound together (`NoErrorSeenBound`), on the side of more errors only:
/// never a zero-width interval, and no narrower than the sample can support. The rest
/// are estimated from the model's probabilities (each pair a Bernoulli draw), which is only as
/// good as the model's calibration, and the notes say so. Precision, recall and F1 get
/// delta-method intervals from the covariance of the true-positive, false-positive and
/// false-negative totals, their low ends toward more errors, their high ends toward fewer.
/// O(patterns + audit verdicts).
public enum LinkageQuality {
    static let z = 1.959964
    /// Audit verdicts on one side of the model's decisions below which its error rate is not
    /// called bounded.
    public static let enoughAuditVerdicts = 30
    /// The half-width the "how many more" advice aims at.
    public static let targetHalfWidth = 0.005
    /// The least error rate the per-side advice plans for where verdicts have shown none: too few
    /// verdicts to see a 1% error rate cannot say there is none.
    static let planningErrorRate = 0.01

    public static func estimate(_ input: QualityInput) -> QualityEstimate {
        // Totals (TP, FP, FN) and their covariance, and the strata where an audit saw no error:
        // they bound their errors above, together (`NoErrorSeenBound`), and not below.
        var total = [0.0, 0.0, 0.0]
        var covariance = [[Double]](repeating: [0, 0, 0], count: 3)
        var noErrorSeen: [(decidedMatches: Double, decidedNonMatches: Double, frame: Double, drawn: Double)] = []
        var bandFalse = [Double](repeating: 0, count: AuditBands.edges.count - 1)
        var bandMissed = bandFalse
        var bandPairs = [Int](repeating: 0, count: bandFalse.count)
        var bandReviewed = bandPairs
        var pairs = 0, reviewed = 0, audited = 0, modelBased = 0
        // Of those, the pairs the model decided alone (outside the band), and the model's own
        // expectation of its errors among them.
        var modelDecided = 0, modelDecidedErrors = 0.0
        var waitingErrors = 0.0  // the model's expectation of its errors among the band's waiting pairs
        var waitingAsTruePositives = 0.0, waitingAsMissed = 0.0, waitingDecidedNonMatches = 0.0
        var decidedUnreviewed = 0  // every unreviewed pair outside the band, audited or not

        func modelBasedPart(_ probability: Double, _ count: Double) {
            guard count > 0 else { return }
            let variance = count * probability * (1 - probability)
            let b = band(probability)
            if probability >= 0.5 {
                total[0] += count * probability
                total[1] += count * (1 - probability)
                covariance[0][0] += variance
                covariance[1][1] += variance
                covariance[0][1] -= variance
                covariance[1][0] -= variance
                bandFalse[b] += count * (1 - probability)
            } else {
                total[2] += count * probability
                covariance[2][2] += variance
                bandMissed[b] += count * probability
            }
        }

        // Audit verdicts by stratum: cells TP, FP, FN, TN under the current decisions.
        var sample: [String: [InputCell]] = [:]
        for verdict in input.auditVerdicts {
            sample[verdict.stratum, default: []].append(InputCell(probability: verdict.probability, isMatch: verdict.isMatch))
        }
        var coveredByStratum: [String: Double] = [:]
        // The decisions (match or not, at 0.5) the pairs each stratum stands for now have, and
        // how many of them are decided matches.
        var decidedSides: [String: Set<Bool>] = [:]
        var coveredDecidedMatches: [String: Double] = [:]
        // Each stratum where the audit saw errors: its frame, sample, error rate and covariance,
        // for the "how many more" advice.
        var errorsSeenStrata: [(frame: Int, drawn: Int, errorRate: Double, covariance: [[Double]])] = []
        for pattern in input.patterns {
            let all = pattern.reviewedMatches + pattern.reviewedNonMatches + pattern.unreviewed
            pairs += all
            reviewed += pattern.reviewedMatches + pattern.reviewedNonMatches
            let b = band(pattern.probability)
            bandPairs[b] += all
            bandReviewed[b] += pattern.reviewedMatches + pattern.reviewedNonMatches
            total[0] += Double(pattern.reviewedMatches)  // a reviewed match is decided a match
            var rest = pattern.unreviewed
            if !pattern.inReviewBand { decidedUnreviewed += rest }
            for (stratum, count) in pattern.covered.sorted(by: { $0.key < $1.key }) {
                let taken = min(count, rest)
                guard taken > 0 else { continue }
                if sample[stratum]?.isEmpty ?? true {
                    // A stratum with no verdict yet stands for nothing: the model speaks for it.
                    continue
                }
                coveredByStratum[stratum, default: 0] += Double(taken)
                decidedSides[stratum, default: []].insert(pattern.probability >= 0.5)
                if pattern.probability >= 0.5 { coveredDecidedMatches[stratum, default: 0] += Double(taken) }
                rest -= taken
                audited += taken
            }
            modelBased += rest
            if !pattern.inReviewBand {
                modelDecided += rest
                modelDecidedErrors += Double(rest) * min(pattern.probability, 1 - pattern.probability)
            } else {
                waitingErrors += Double(rest) * min(pattern.probability, 1 - pattern.probability)
                // What the estimate counts them as, and what they would be all wrong.
                if pattern.probability >= 0.5 {
                    waitingAsTruePositives += Double(rest) * pattern.probability
                } else {
                    waitingAsMissed += Double(rest) * pattern.probability
                    waitingDecidedNonMatches += Double(rest)
                }
            }
            modelBasedPart(pattern.probability, Double(rest))
        }
        // In stratum order: sums of doubles in a dictionary's order would differ in their last
        // bits from one process to the next.
        for (stratum, cells) in sample.sorted(by: { $0.key < $1.key }) {
            guard let covered = coveredByStratum[stratum], covered > 0 else { continue }
            let n = Double(cells.count)
            var counts = [0.0, 0.0, 0.0, 0.0]  // TP, FP, FN, TN
            for cell in cells { counts[cell.index] += 1 }
            let frame = Double(input.frameSizes[stratum] ?? cells.count)
            let correction = max(0, 1 - n / max(frame, n))
            // Half a pair on each cell its pairs can fall in: TP and FP for those decided matches,
            // FN and TN for the others. A phantom error of the impossible kind would widen the
            // interval of a stratum where no error is seen by about √2.
            let sides = (decidedSides[stratum] ?? []).union(cells.map { $0.probability >= 0.5 })
            let possible = [sides.contains(true), sides.contains(true), sides.contains(false), sides.contains(false)]
            let pseudo = possible.map { $0 ? 0.5 : 0 }
            let adjusted = (0..<4).map { (counts[$0] + pseudo[$0]) / (n + pseudo.reduce(0, +)) }
            var own = [[Double]](repeating: [0, 0, 0], count: 3)
            for c in 0..<3 {
                total[c] += covered * counts[c] / n
                for d in 0..<3 {
                    own[c][d] = covered * covered * correction * ((c == d ? adjusted[c] : 0) - adjusted[c] * adjusted[d]) / n
                }
            }
            if counts[1] + counts[2] > 0 {
                for c in 0..<3 { for d in 0..<3 { covariance[c][d] += own[c][d] } }
                errorsSeenStrata.append((Int(frame), cells.count, (counts[1] + counts[2]) / n, own))
            } else {
                // No error seen: an exact bound above (the half pairs alone would say about
                // 1.4 / n where Clopper–Pearson says 3.7 / n), none below.
                let decidedMatches = coveredDecidedMatches[stratum] ?? 0
                noErrorSeen.append((decidedMatches, covered - decidedMatches, frame, n))
            }
            // False and missed matches by band: each verdict stands for covered / n pairs of its own band.
            for cell in cells {
                if cell.index == 1 { bandFalse[band(cell.probability)] += covered / n }
                if cell.index == 2 { bandMissed[band(cell.probability)] += covered / n }
            }
        }

        let (tp, fp, fn) = (total[0], total[1], total[2])
        func halfWidth(_ gradient: [Double]) -> Double {
            var variance = 0.0
            for c in 0..<3 { for d in 0..<3 { variance += gradient[c] * gradient[d] * covariance[c][d] } }
            return z * max(variance, 0).squareRoot()
        }
        // What the strata where no error was seen can hold, in the units of a figure with this
        // gradient: each stratum's pairs decided matches can hold false matches (a pair moves from
        // TP to FP), those decided non-matches missed ones (from TN to FN); both parts are missed
        // by the same sample.
        func noErrorSeenStrata(_ gradient: [Double]) -> [[NoErrorSeenBound.Stratum]] {
            noErrorSeen.map { stratum in [
                .init(covered: stratum.decidedMatches, frame: stratum.frame, drawn: stratum.drawn, weight: max(0, gradient[0] - gradient[1])),
                .init(covered: stratum.decidedNonMatches, frame: stratum.frame, drawn: stratum.drawn, weight: max(0, -gradient[2])),
            ] }
        }
        // How far a figure with this gradient can fall (or a count of errors, given its negative,
        // rise): the strata with errors seen as a normal half-width, those with none seen as
        // their exact bound, the two in quadrature.
        func towardMoreErrors(_ gradient: [Double]) -> Double {
            let seen = halfWidth(gradient), unseen = NoErrorSeenBound.errors(noErrorSeenStrata(gradient).flatMap { $0 })
            return (seen * seen + unseen * unseen).squareRoot()
        }
        func interval(_ value: Double, gradient: [Double], upper: Double = 1) -> QualityEstimate.Interval {
            .init(estimate: value, low: max(0, value - towardMoreErrors(gradient)),
                  high: min(upper, value + halfWidth(gradient)))
        }
        let predicted = tp + fp, actual = tp + fn, f1Denominator = 2 * tp + fp + fn
        let f1Gradient = [2 * (fp + fn) / (f1Denominator * f1Denominator), -2 * tp / (f1Denominator * f1Denominator),
                          -2 * tp / (f1Denominator * f1Denominator)]
        let precision = predicted > 0
            ? interval(tp / predicted, gradient: [fp / (predicted * predicted), -tp / (predicted * predicted), 0])
            : .init(estimate: 1, low: 1, high: 1)
        let recall = actual > 0
            ? interval(tp / actual, gradient: [fn / (actual * actual), 0, -tp / (actual * actual)])
            : .init(estimate: 1, low: 1, high: 1)
        let f1 = f1Denominator > 0
            ? interval(2 * tp / f1Denominator, gradient: f1Gradient)
            : .init(estimate: 1, low: 1, high: 1)
        let waiting = modelBased - modelDecided  // pairs waiting in the review band
        var whateverTheBandHolds: QualityEstimate.Floors?
        if waiting > 0 {
            // Every waiting pair an error, each figure as far below that as its interval reaches
            // below its estimate.
            let worstTP = tp - waitingAsTruePositives, worstFP = fp + waitingAsTruePositives
            let worstFN = fn - waitingAsMissed + waitingDecidedNonMatches
            func floor(_ worst: Double, _ interval: QualityEstimate.Interval) -> Double {
                max(0, min(worst, interval.estimate) - (interval.estimate - interval.low))
            }
            whateverTheBandHolds = .init(
                precision: floor(worstTP + worstFP > 0 ? worstTP / (worstTP + worstFP) : 1, precision),
                recall: floor(worstTP + worstFN > 0 ? worstTP / (worstTP + worstFN) : 1, recall),
                f1: floor(2 * worstTP + worstFP + worstFN > 0 ? 2 * worstTP / (2 * worstTP + worstFP + worstFN) : 1, f1))
        }

        let basis: QualityEstimate.Basis = modelDecided > 0 ? .model : (reviewed == pairs ? .exact : .design)
        var auditToBound: Int?
        if basis == .model, f1Denominator > 0 {
            // The error rate planned for is the larger of the model's own (a floor: it cannot see
            // the errors an audit would find) and the upper Wilson limit of what audit verdicts
            // show so far; what no rate can lower is the exact bound an audit that sees no error
            // still leaves (`auditSizeToBoundF1`).
            let auditErrors = input.auditVerdicts.filter { InputCell(probability: $0.probability, isMatch: $0.isMatch).isError }.count
            let seen = wilson(auditErrors, input.auditVerdicts.count)?.high ?? 0
            let rate = min(0.5, max(modelDecidedErrors / Double(modelDecided), seen))
            let squared = f1Denominator * f1Denominator
            let total = auditSizeToBoundF1(pairs: decidedUnreviewed, errorRate: rate, perError: 2 * tp / squared,
                                           perUnseenError: 2 * (tp + fp + fn) / squared)
            // What an audit has already drawn counts; a new one must still reach every stratum.
            auditToBound = min(modelDecided, max(total - input.auditVerdicts.count, min(modelDecided, enoughAuditVerdicts)))
        }

        var auditToNarrow: Int?
        // Below the estimate, before the interval is cut at 0: what the audit has to narrow.
        let f1HalfWidth = f1Denominator > 0 ? towardMoreErrors(f1Gradient) : 0
        if basis != .model, f1HalfWidth > targetHalfWidth, !(errorsSeenStrata.isEmpty && noErrorSeen.isEmpty) {
            auditToNarrow = moreAuditVerdicts(seen: errorsSeenStrata.map { stratum in
                var variance = 0.0
                for c in 0..<3 { for d in 0..<3 { variance += f1Gradient[c] * f1Gradient[d] * stratum.covariance[c][d] } }
                return (stratum.frame, stratum.drawn, stratum.errorRate, variance)
            }, unseen: noErrorSeenStrata(f1Gradient), halfWidth: f1HalfWidth)
        }

        var notes = ["Matches that blocking never produced are not in the queue and cannot be seen from it: recall is among candidate pairs."]
        if let auditToBound {
            let which = input.auditVerdicts.isEmpty
                ? "No audit verdicts: the \(modelDecided) pairs the model decided alone"
                : "\(modelDecided) pairs the model decided alone that no audit stratum covers"
            notes.append("\(which) are estimated from the model's own probabilities, so the intervals hold only if the model is calibrated there: they do not bound the errors it cannot see (interactions between fields, patterns it decided alone). An audit of at least about \(auditToBound) more (clerical qa audit --count \(auditToBound) --stratify band; more if the model errs more often than it expects) would bound F1 to ±\(targetHalfWidth) from verdicts alone.")
        }
        if let auditToNarrow {
            notes.append(String(format: "F1's interval reaches %.4f below its estimate. About \(auditToNarrow) more audit verdicts (clerical qa audit --count \(auditToNarrow) --allocation neyman) would narrow it to ±\(targetHalfWidth), if errors turn up at the rates seen so far: where an audit sees no error, its interval narrows only as fast as the sample grows.", f1HalfWidth))
        }
        if waiting > 0 {
            // No verdict and no audit reaches them, and the band is where the model is least
            // sure (or where a refit overturned it): its errors there are its own guess.
            notes.append(String(format: "\(waiting) pairs wait in the review band: the model speaks for them until they are reviewed, and the intervals hold only as far as it is calibrated there (it expects about %.0f errors among them; the calibration table shows how it fares on the pairs reviewed so far).", waitingErrors))
        }
        for side in ["match", "non-match"] {
            let verdicts = input.auditVerdicts.filter { ($0.probability >= 0.5) == (side == "match") }
            guard verdicts.count < enoughAuditVerdicts else { continue }
            let errors = verdicts.filter { $0.isMatch != (side == "match") }.count
            // Planned at the rate seen so far, never below the 1% floor (with no verdicts, at
            // it), and the note says which: a guessed rate would contradict the F1 advice above.
            let planned = max(wilson(errors, verdicts.count)?.estimate ?? 0, planningErrorRate)
            let needed = Int((z * z * planned * (1 - planned) / (targetHalfWidth * targetHalfWidth)).rounded(.up))
            let more = max(enoughAuditVerdicts, needed) - verdicts.count
            notes.append(String(format: "\(verdicts.count) audit verdicts among the model's \(side)es: too few to bound its \(side == "match" ? "false-match" : "missed-match") rate; about \(more) more would bound it to ±\(targetHalfWidth) if it is about %.1f%%.", 100 * planned))
        }

        let edges = AuditBands.edges
        let bands = (0..<(edges.count - 1)).map { b in
            QualityEstimate.Band(low: edges[b], high: edges[b + 1], pairs: bandPairs[b], reviewed: bandReviewed[b],
                                 falseMatches: bandFalse[b], missedMatches: bandMissed[b])
        }
        return QualityEstimate(
            intervalBasis: basis, auditVerdictsToBoundF1: auditToBound, auditVerdictsToNarrowF1: auditToNarrow,
            precision: precision, recall: recall, f1: f1,
            falseMatches: .init(estimate: fp, low: max(0, fp - halfWidth([0, 1, 0])), high: fp + towardMoreErrors([0, -1, 0])),
            missedMatches: .init(estimate: fn, low: max(0, fn - halfWidth([0, 0, 1])), high: fn + towardMoreErrors([0, 0, -1])),
            pairs: pairs, reviewed: reviewed, auditVerdicts: input.auditVerdicts.count, auditedPairs: audited,
            modelBasedPairs: modelBased, modelDecidedPairs: modelDecided, bands: bands, calibration: calibration(input.patterns),
            whateverTheBandHolds: whateverTheBandHolds, notes: notes)
    }

    /// The smallest audit of `pairs` model-decided pairs, drawn in proportion, whose F1 interval
    /// reaches ±`targetHalfWidth` below its estimate if its errors turn up at `errorRate`: their
    /// normal half-width (F1 moves `perError` an error) and, in quadrature as the estimate
    /// combines them, the exact bound an audit that sees no error leaves (`perUnseenError` an
    /// error, the heavier kind). The bound falls only as 1/n, the normal part as 1/√n: with
    /// errors rare the first rules, and over many pairs it asks far fewer verdicts than a rate
    /// planned at 1% would (the household fixture's 389,033 decided pairs: 2,347 against 13,042).
    static func auditSizeToBoundF1(pairs: Int, errorRate: Double, perError: Double, perUnseenError: Double) -> Int {
        guard pairs > 0 else { return 0 }
        let frame = Double(pairs)
        func reach(_ drawn: Int) -> Double {
            let n = Double(drawn)
            let normal = z * perError * frame * (errorRate * (1 - errorRate) / n * (1 - n / frame)).squareRoot()
            let unseen = NoErrorSeenBound.errors([.init(covered: frame - n, frame: frame, drawn: n, weight: perUnseenError)])
            return (normal * normal + unseen * unseen).squareRoot()
        }
        // Both parts shrink as the audit grows, and drawing every pair leaves neither.
        var low = 1, high = pairs
        while low < high {
            let middle = (low + high) / 2
            if reach(middle) <= targetHalfWidth { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// The fewest more audit verdicts that bring F1's half-width to `targetHalfWidth`. The strata
    /// where errors were seen: each one's share of F1's variance (`f1Variance`) is taken to shrink
    /// as `StratifiedAllocation.plannedVariance` does at the error rate seen there, and verdicts
    /// go one at a time where they remove the most. The strata where none was seen (`unseen`, in
    /// F1's units) are bounded together by the stratum where an error weighs most for what it
    /// costs, so they are drawn to a common level of that ratio; each level tried, from the
    /// present one down, with the rest of the verdicts where the variance falls most. The rest of
    /// the variance (the model's part) stays. Nil when even every pair of the strata would not do.
    static func moreAuditVerdicts(seen: [(frame: Int, drawn: Int, errorRate: Double, f1Variance: Double)],
                                  unseen: [[NoErrorSeenBound.Stratum]], halfWidth: Double) -> Int? {
        let now = seen.map { StratifiedAllocation.plannedVariance(size: $0.frame, errorRate: $0.errorRate, drawn: $0.drawn) }
        let seenVariance = seen.reduce(0.0) { $0 + $1.f1Variance }
        let unseenVariance = pow(NoErrorSeenBound.errors(unseen.flatMap { $0 }) / z, 2)
        let rest = (halfWidth / z) * (halfWidth / z) - seenVariance - unseenVariance
        let goal = (targetHalfWidth / z) * (targetHalfWidth / z)
        guard rest < goal else { return nil }
        // The strata where none was seen, drawn so that no error weighs more than `level` per unit
        // of the bound's budget: the verdicts that takes, and the bound's variance then.
        // (A stratum's two parts share its sample: it is drawn to the level its heavier part
        // needs, and the pairs drawn come from each part in proportion.)
        func drawnTo(level: Double) -> (added: Int, variance: Double) {
            var added = 0
            let strata = unseen.flatMap { parts -> [NoErrorSeenBound.Stratum] in
                let covered = parts.reduce(0) { $0 + $1.covered }
                let wanted = parts.filter { $0.weight > 0 && $0.covered > 0 }
                    .map { level > 0 ? ($0.frame * -expm1(-$0.weight / level)).rounded(.up) : $0.frame }.max()
                guard let wanted, let drawn = parts.first?.drawn, covered > 0 else { return parts }
                let extra = min(max(0, wanted - drawn), covered)
                added += Int(extra)
                return parts.map { part in
                    var more = part
                    more.drawn += extra
                    more.covered -= extra * part.covered / covered
                    return more
                }
            }
            return (added, pow(NoErrorSeenBound.errors(strata) / z, 2))
        }
        // The verdicts on strata with errors seen, one at a time where the variance falls most:
        // the same order whatever the level, so it is taken once, as far as any level could need
        // (or until what they have left is a hundredth of the goal, not every pair of them).
        var removedAfter: [Double] = []
        let mostNeeded = min((halfWidth / z) * (halfWidth / z) - goal, seenVariance - goal / 100)
        _ = StratifiedAllocation.addWhereVarianceFallsMost(
            start: seen.map(\.drawn), sizes: seen.map(\.frame),
            variance: { h, n in
                now[h] > 0 ? seen[h].f1Variance * StratifiedAllocation.plannedVariance(size: seen[h].frame, errorRate: seen[h].errorRate, drawn: n) / now[h] : 0
            },
            while: { _, removed in
                removedAfter.append(removed)
                return removed < mostNeeded
            })
        let parts: [NoErrorSeenBound.Stratum] = unseen.flatMap { $0 }.filter { $0.weight > 0 && $0.covered > 0 && $0.drawn < $0.frame }
        let present = parts.map { (part: NoErrorSeenBound.Stratum) -> Double in part.weight / -log1p(-part.drawn / part.frame) }.max() ?? 0
        let levels = present > 0 ? (0..<200).map { present * (1 - Double($0) / 200) } + [0] : [0]
        var fewest: Int?
        for level in levels {
            let pool = drawnTo(level: level)
            // Lower levels only draw more from these strata.
            if let fewest, pool.added >= fewest { break }
            let needed = rest + pool.variance + seenVariance - goal
            // The fewest verdicts on the other strata that remove what is needed, if any do.
            var low = 0, high = removedAfter.count
            while low < high {
                let middle = (low + high) / 2
                if removedAfter[middle] >= needed { high = middle } else { low = middle + 1 }
            }
            guard low < removedAfter.count else { continue }
            fewest = min(fewest ?? .max, pool.added + low)
        }
        return fewest
    }

    /// Per tenth of probability: pairs, reviewed pairs, their match rate, the mean probability.
    static func calibration(_ patterns: [QualityInput.Pattern]) -> [QualityEstimate.Calibration] {
        (0..<10).map { tenth in
            let low = Double(tenth) / 10, high = Double(tenth + 1) / 10
            let members = patterns.filter { min(9, Int($0.probability * 10)) == tenth }
            let all = members.reduce(0) { $0 + $1.reviewedMatches + $1.reviewedNonMatches + $1.unreviewed }
            let matches = members.reduce(0) { $0 + $1.reviewedMatches }
            let reviewed = members.reduce(0) { $0 + $1.reviewedMatches + $1.reviewedNonMatches }
            let mean = all > 0
                ? members.reduce(0.0) { $0 + $1.probability * Double($1.reviewedMatches + $1.reviewedNonMatches + $1.unreviewed) } / Double(all)
                : (low + high) / 2
            return .init(low: low, high: high, pairs: all, reviewed: reviewed, reviewedMatchRate: wilson(matches, reviewed), meanProbability: mean)
        }
    }

    /// The Wilson score interval at 95%: never of zero width, even with no success or no failure.
    public static func wilson(_ successes: Int, _ trials: Int) -> QualityEstimate.Interval? {
        guard trials > 0 else { return nil }
        let n = Double(trials), p = Double(successes) / n
        let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        return .init(estimate: p, low: max(0, centre - half), high: min(1, centre + half))
    }

    static func band(_ probability: Double) -> Int {
        let edges = AuditBands.edges
        for i in 0..<(edges.count - 1) where probability < edges[i + 1] { return i }
        return edges.count - 2
    }

    struct InputCell {
        var probability: Double
        var isMatch: Bool
        /// 0 TP, 1 FP, 2 FN, 3 TN, under the decision at 0.5.
        var index: Int { probability >= 0.5 ? (isMatch ? 0 : 1) : (isMatch ? 2 : 3) }
        var isError: Bool { index == 1 || index == 2 }
    }
}
