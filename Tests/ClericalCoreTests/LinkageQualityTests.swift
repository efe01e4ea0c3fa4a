@testable import ClericalCore
import XCTest

final class LinkageQualityTests: XCTestCase {
    /// Every pair reviewed: the figures are the verdicts' own, with no width at all.
    func testWithEveryPairReviewedTheEstimateIsExact() {
        let input = QualityInput(patterns: [
            .init(probability: 0.99, reviewedMatches: 90, reviewedNonMatches: 10, unreviewed: 0),
            .init(probability: 0.02, reviewedMatches: 5, reviewedNonMatches: 895, unreviewed: 0),
        ], auditVerdicts: [], frameSizes: [:])
        let estimate = LinkageQuality.estimate(input)
        // Final decisions are the verdicts, so nothing is wrong.
        for interval in [estimate.precision, estimate.recall, estimate.f1] {
            XCTAssertEqual(interval.estimate, 1, accuracy: 1e-12)
            XCTAssertEqual(interval.low, interval.high, accuracy: 1e-12)
        }
        XCTAssertEqual(estimate.falseMatches.estimate, 0)
        XCTAssertEqual(estimate.reviewed, 1000)
        XCTAssertEqual(estimate.modelBasedPairs, 0)
        // Calibration: the reviewed match rate per band.
        let top = estimate.calibration[9]
        XCTAssertEqual(top.reviewed, 100)
        XCTAssertEqual(top.reviewedMatchRate?.estimate ?? 0, 0.9, accuracy: 1e-12)
    }

    /// Draws from a constructed queue whose truth is known: `matchSide` pairs the model calls
    /// matches (`falseMatches` of them are not) and `nonMatchSide` it calls non-matches
    /// (`missedMatches` are matches), `sample` audited in each, `draws` times. How often the
    /// 95% intervals cover the true precision and recall of the final decisions (sampled pairs
    /// by their verdicts, the rest by the model), in how many draws the audit saw no false
    /// match, and each draw's precision interval width.
    func coverage(matchSide: Int, falseMatches: Int, nonMatchSide: Int, missedMatches: Int, sample: Int, draws: Int)
        -> (precision: Int, recall: Int, noFalseMatchSeen: Int, widths: [Double]) {
        var result = (precision: 0, recall: 0, noFalseMatchSeen: 0, widths: [Double]())
        for seed in 1...draws {
            var random = SeededGenerator(seed: UInt64(seed))
            // Truth of each pair of the two patterns: true = match.
            let high = (0..<matchSide).map { $0 >= falseMatches }
            let low = (0..<nonMatchSide).map { $0 < missedMatches }
            let sampleHigh = Array(high.indices.shuffled(using: &random).prefix(sample))
            let sampleLow = Array(low.indices.shuffled(using: &random).prefix(sample))
            let highMatches = sampleHigh.filter { high[$0] }.count
            let lowMatches = sampleLow.filter { low[$0] }.count
            if highMatches == sample { result.noFalseMatchSeen += 1 }
            let estimate = LinkageQuality.estimate(QualityInput(patterns: [
                .init(probability: 0.99, reviewedMatches: highMatches, reviewedNonMatches: sample - highMatches,
                      unreviewed: matchSide - sample, covered: ["a/match": matchSide - sample]),
                .init(probability: 0.01, reviewedMatches: lowMatches, reviewedNonMatches: sample - lowMatches,
                      unreviewed: nonMatchSide - sample, covered: ["a/non-match": nonMatchSide - sample]),
            ], auditVerdicts: sampleHigh.map { .init(stratum: "a/match", probability: 0.99, isMatch: high[$0]) }
                + sampleLow.map { .init(stratum: "a/non-match", probability: 0.01, isMatch: low[$0]) },
            frameSizes: ["a/match": matchSide, "a/non-match": nonMatchSide]))
            let tp = Double(matchSide - falseMatches + lowMatches)
            let fp = Double(falseMatches - (sample - highMatches))
            let fn = Double(missedMatches - lowMatches)
            let precision = tp / (tp + fp), recall = tp / (tp + fn)
            if estimate.precision.low <= precision && precision <= estimate.precision.high { result.precision += 1 }
            if estimate.recall.low <= recall && recall <= estimate.recall.high { result.recall += 1 }
            result.widths.append(estimate.precision.high - estimate.precision.low)
        }
        return result
    }

    /// A constructed queue whose true error rates are known: 10,000 pairs the model calls
    /// matches (2% are not) and 10,000 it calls non-matches (1% are matches), audited with
    /// 300 pairs in each stratum. Over 200 draws, the 95% intervals cover the true precision
    /// and recall of the final decisions about 95% of the time.
    func testTheIntervalsCoverKnownErrorRates() {
        let covered = coverage(matchSide: 10_000, falseMatches: 200, nonMatchSide: 10_000, missedMatches: 100, sample: 300, draws: 200)
        XCTAssertGreaterThanOrEqual(covered.precision, 180, "precision covered in \(covered.precision) of 200")
        XCTAssertGreaterThanOrEqual(covered.recall, 180, "recall covered in \(covered.recall) of 200")
        XCTAssertTrue(covered.widths.allSatisfy { $0 > 0 })
    }

    /// A stratum whose sample shows no error still gets an interval of non-zero width.
    func testNoErrorObservedIsNeverAZeroWidthInterval() {
        let input = QualityInput(patterns: [
            .init(probability: 0.999, reviewedMatches: 50, reviewedNonMatches: 0, unreviewed: 5_000, covered: ["a/match": 5_000]),
        ], auditVerdicts: (0..<50).map { _ in .init(stratum: "a/match", probability: 0.999, isMatch: true) },
        frameSizes: ["a/match": 5_050])
        let estimate = LinkageQuality.estimate(input)
        XCTAssertEqual(estimate.precision.estimate, 1, accuracy: 1e-12)
        XCTAssertLessThan(estimate.precision.low, 0.999)
        XCTAssertGreaterThan(estimate.falseMatches.high, 0)
        // Every pair is decided a match: none can be a missed match, and no phantom one widens recall.
        XCTAssertEqual(estimate.missedMatches.high, 0)
        XCTAssertEqual(estimate.recall.low, 1, accuracy: 1e-12)
        XCTAssertFalse(estimate.notes.contains { $0.contains("among the model's matches: too few") }, "50 verdicts are enough to bound it")
        let wilson = try! XCTUnwrap(LinkageQuality.wilson(0, 50))
        XCTAssertEqual(wilson.low, 0)
        XCTAssertEqual(wilson.high, 0.0714, accuracy: 0.0005, "Wilson's 95% upper bound for 0 of 50")
        // The exact bound: the most errors with which 50 drawn of 5,050 miss them all in 2.5% of
        // draws (Clopper–Pearson's limit without replacement); and none below the estimate of none.
        XCTAssertEqual(estimate.falseMatches.high, log(0.025) / log(1 - 50.0 / 5_050), accuracy: 1e-6)
        XCTAssertEqual(estimate.falseMatches.high / 5_050, 1 - pow(0.025, 1.0 / 50), accuracy: 0.003, "as a rate, about the binomial limit")
        XCTAssertEqual(estimate.falseMatches.low, 0)
        XCTAssertEqual(estimate.precision.high, 1)
    }

    /// A stratum whose errors are rare enough that an audit often sees none (1% false matches,
    /// 150 audited: none seen in about a fifth of draws). Half a phantom pair would bound them
    /// at about 1.4 / n and miss the truth in those draws; the exact bound covers it.
    func testAStratumWhereNoErrorIsSeenIsBoundedExactly() {
        let covered = coverage(matchSide: 20_000, falseMatches: 200, nonMatchSide: 10_000, missedMatches: 10, sample: 150, draws: 200)
        XCTAssertGreaterThan(covered.noFalseMatchSeen, 20, "the audit saw no false match in \(covered.noFalseMatchSeen) of 200 draws")
        XCTAssertGreaterThanOrEqual(covered.precision, 190, "precision covered in \(covered.precision) of 200")
        XCTAssertGreaterThanOrEqual(covered.recall, 190, "recall covered in \(covered.recall) of 200")
    }

    /// Strata where no error was seen are bounded together: four strata of 10,000 pairs with
    /// 100 drawn from each hold no more than one stratum of 40,000 with 400 drawn, where their
    /// four limits in quadrature would allow twice as many. The bound fills the strata where an
    /// error weighs most for what it costs, and no stratum beyond the pairs it stands for.
    func testStrataWhereNoErrorIsSeenAreBoundedTogether() {
        let one = NoErrorSeenBound.Stratum(covered: 9_900, frame: 10_000, drawn: 100, weight: 1)
        let alone = NoErrorSeenBound.errors([one])
        XCTAssertEqual(alone, log(0.025) / log(0.99), accuracy: 1e-9)
        XCTAssertEqual(NoErrorSeenBound.errors([one, one, one, one]), alone, accuracy: 1e-9)
        XCTAssertEqual(NoErrorSeenBound.errors([.init(covered: 39_600, frame: 40_000, drawn: 400, weight: 1)]), alone, accuracy: 1e-9)
        // Twice the weight (an error there moves the figure twice as far): it holds them all.
        var heavy = one
        heavy.weight = 2
        XCTAssertEqual(NoErrorSeenBound.errors([one, heavy]), 2 * alone, accuracy: 1e-9)
        // A stratum that stands for 100 pairs holds at most 100; the rest of the budget goes on.
        var small = one
        small.covered = 100
        small.weight = 3
        let spilled = NoErrorSeenBound.errors([small, one])
        XCTAssertEqual(spilled, 300 + (log(40) - 100 * -log(0.99)) / -log(0.99), accuracy: 1e-6)
        // Drawn whole, or not drawn at all (then the model speaks for it, not this bound): nothing.
        XCTAssertEqual(NoErrorSeenBound.errors([.init(covered: 0, frame: 100, drawn: 100, weight: 1)]), 0)

        // In the estimate: four such strata of the model's matches bound the false matches as one.
        let strata = (1...4).map { "a/match \($0)" }
        let input = QualityInput(patterns: strata.enumerated().map { index, name in
            .init(probability: 0.99 + Double(index) * 0.001, reviewedMatches: 100, reviewedNonMatches: 0, unreviewed: 9_900,
                  covered: [name: 9_900])
        }, auditVerdicts: strata.enumerated().flatMap { index, name in
            (0..<100).map { _ in QualityInput.AuditVerdict(stratum: name, probability: 0.99 + Double(index) * 0.001, isMatch: true) }
        }, frameSizes: Dictionary(uniqueKeysWithValues: strata.map { ($0, 10_000) }))
        let estimate = LinkageQuality.estimate(input)
        XCTAssertEqual(estimate.falseMatches.high, alone, accuracy: 1e-6)
        XCTAssertEqual(estimate.precision.low, 1 - alone / 40_000, accuracy: 1e-9, "one error costs precision 1 / 40,000")
    }

    /// A stratum drawn from the model's matches, part of which re-estimation has since decided
    /// non-matches: its false matches can only be among the pairs still decided matches, its
    /// missed matches among the others, and the one sample bounds both.
    func testAStratumDecidedBothWaysBoundsEachKindWithinItsOwnPairs() {
        let estimate = LinkageQuality.estimate(QualityInput(patterns: [
            .init(probability: 0.999, reviewedMatches: 100, reviewedNonMatches: 0, unreviewed: 9_600, covered: ["a/match": 9_600]),
            .init(probability: 0.1, reviewedMatches: 0, reviewedNonMatches: 0, unreviewed: 300, covered: ["a/match": 300]),
        ], auditVerdicts: (0..<100).map { _ in .init(stratum: "a/match", probability: 0.999, isMatch: true) },
           frameSizes: ["a/match": 10_000]))
        XCTAssertEqual(estimate.falseMatches.high, log(0.025) / log(0.99), accuracy: 1e-6, "367: none seen in 100 of 10,000")
        XCTAssertEqual(estimate.missedMatches.high, 300, accuracy: 1e-6, "no more missed matches than pairs decided non-matches")
    }

    /// Rare errors in several strata of pairs the model is sure of (0.2%: an audit of 150 sees
    /// none in about three strata of four): bounded together, the intervals still cover.
    func testRareErrorsInManySureStrataAreCovered() {
        let strata = (1...4).map { (name: "match \($0)", size: 10_000, probability: 0.99 + Double($0) * 0.001, errors: 20) }
            + [(name: "non-match", size: 10_000, probability: 0.001, errors: 10)]
        let allocation = Dictionary(uniqueKeysWithValues: strata.map { ($0.name, 150) })
        var covered = (precision: 0, recall: 0), noneSeen = 0
        for seed in 1...200 {
            let draw = auditDraw(strata: strata, allocation: allocation, seed: seed)
            if draw.estimate.precision.low <= draw.precision && draw.precision <= draw.estimate.precision.high { covered.precision += 1 }
            if draw.estimate.recall.low <= draw.recall && draw.recall <= draw.estimate.recall.high { covered.recall += 1 }
            noneSeen += draw.noErrorSeen
        }
        XCTAssertGreaterThan(noneSeen, 400, "strata with no error seen, over 200 draws of 5: \(noneSeen)")
        XCTAssertGreaterThanOrEqual(covered.precision, 190, "precision covered in \(covered.precision) of 200")
        XCTAssertGreaterThanOrEqual(covered.recall, 190, "recall covered in \(covered.recall) of 200")
    }

    /// One audit of a constructed population whose true errors are known: each stratum (its
    /// size, the model's probability, its true errors) drawn without replacement as `allocation`
    /// says. The estimate, the true precision and recall of the final decisions (the sampled
    /// pairs by their verdicts, the rest by the model), and how many strata showed no error.
    func auditDraw(strata: [(name: String, size: Int, probability: Double, errors: Int)], allocation: [String: Int], seed: Int)
        -> (estimate: QualityEstimate, precision: Double, recall: Double, noErrorSeen: Int) {
        var random = SeededGenerator(seed: UInt64(seed))
        var patterns: [QualityInput.Pattern] = []
        var verdicts: [QualityInput.AuditVerdict] = []
        var truth = (tp: 0, fp: 0, fn: 0), noErrorSeen = 0
        for stratum in strata {
            // How many of the stratum's errors the draw takes.
            let n = allocation[stratum.name]!
            var left = (pairs: stratum.size, errors: stratum.errors), seen = 0
            for _ in 0..<n {
                if Int.random(in: 0..<left.pairs, using: &random) < left.errors { seen += 1; left.errors -= 1 }
                left.pairs -= 1
            }
            if seen == 0 { noErrorSeen += 1 }
            let isMatchSide = stratum.probability >= 0.5
            let sampledMatches = isMatchSide ? n - seen : seen
            patterns.append(.init(probability: stratum.probability, reviewedMatches: sampledMatches,
                                  reviewedNonMatches: n - sampledMatches, unreviewed: stratum.size - n,
                                  covered: [stratum.name: stratum.size - n]))
            verdicts += (0..<n).map { .init(stratum: stratum.name, probability: stratum.probability,
                                            isMatch: isMatchSide != ($0 < seen)) }
            let matches = isMatchSide ? stratum.size - stratum.errors : stratum.errors
            truth.tp += isMatchSide ? matches : sampledMatches
            truth.fp += isMatchSide ? stratum.errors - seen : 0
            truth.fn += isMatchSide ? 0 : stratum.errors - seen
        }
        let sizes = Dictionary(uniqueKeysWithValues: strata.map { ($0.name, $0.size) })
        let estimate = LinkageQuality.estimate(QualityInput(patterns: patterns, auditVerdicts: verdicts, frameSizes: sizes))
        return (estimate, Double(truth.tp) / Double(truth.tp + truth.fp), Double(truth.tp) / Double(truth.tp + truth.fn), noErrorSeen)
    }

    /// Too few audit verdicts: it says so, and how many more would bound the rate.
    func testTooFewAuditVerdictsAreNamed() {
        let input = QualityInput(patterns: [
            .init(probability: 0.99, reviewedMatches: 10, reviewedNonMatches: 0, unreviewed: 1_000, covered: ["a/match": 1_000]),
        ], auditVerdicts: (0..<10).map { _ in .init(stratum: "a/match", probability: 0.99, isMatch: true) }, frameSizes: ["a/match": 1_010])
        let notes = LinkageQuality.estimate(input).notes
        XCTAssertTrue(notes.contains { $0.contains("10 audit verdicts among the model's matches: too few") && $0.contains("more would bound it") }, "\(notes)")
        XCTAssertTrue(notes.contains { $0.contains("blocking never produced") })
        // No error among them, and none among no verdicts: planned at the 1% floor, 1.96² ×
        // 0.01 × 0.99 / 0.005² = 1,522 verdicts in all, at the rate it names.
        XCTAssertTrue(notes.contains { $0.contains("about 1512 more would bound it to ±0.005 if it is about 1.0%") }, "\(notes)")
        XCTAssertTrue(notes.contains { $0.contains("0 audit verdicts among the model's non-matches") && $0.contains("about 1522 more") }, "\(notes)")

        // Errors seen plan at their rate: 3 of 10 non-matches among the model's matches.
        let erring = QualityInput(patterns: [
            .init(probability: 0.99, reviewedMatches: 7, reviewedNonMatches: 3, unreviewed: 1_000, covered: ["a/match": 1_000]),
        ], auditVerdicts: (0..<10).map { .init(stratum: "a/match", probability: 0.99, isMatch: $0 >= 3) }, frameSizes: ["a/match": 1_010])
        XCTAssertTrue(LinkageQuality.estimate(erring).notes.contains { $0.contains("if it is about 30.0%") }, "\(LinkageQuality.estimate(erring).notes)")
    }

    /// Pairs nobody looked at rest on the model: the estimate says its intervals are not a
    /// bound, and the audit size it names does bound F1 to about ±0.005 when drawn.
    func testWithoutAnAuditTheIntervalsAreMarkedModelBasedAndTheAuditSizeBoundsF1() {
        let unaudited = QualityInput(patterns: [
            .init(probability: 0.99, reviewedMatches: 0, reviewedNonMatches: 0, unreviewed: 10_000),
            .init(probability: 0.01, reviewedMatches: 0, reviewedNonMatches: 0, unreviewed: 10_000),
        ], auditVerdicts: [], frameSizes: [:])
        let before = LinkageQuality.estimate(unaudited)
        XCTAssertEqual(before.intervalBasis, .model)
        let needed = try! XCTUnwrap(before.auditVerdictsToBoundF1)
        XCTAssertTrue(before.notes.contains { $0.contains("do not bound") && $0.contains("An audit of at least about \(needed) more") }, "\(before.notes)")

        // Draw that audit, half on each side, with the error rates the model expects (1%).
        let each = (needed + 1) / 2
        func verdicts(_ stratum: String, _ probability: Double, errors: Int) -> [QualityInput.AuditVerdict] {
            (0..<each).map { .init(stratum: stratum, probability: probability, isMatch: (probability >= 0.5) != ($0 < errors)) }
        }
        let errors = Int((Double(each) * 0.01).rounded())
        let audited = QualityInput(patterns: [
            .init(probability: 0.99, reviewedMatches: each - errors, reviewedNonMatches: errors, unreviewed: 10_000 - each,
                  covered: ["a/match": 10_000 - each]),
            .init(probability: 0.01, reviewedMatches: errors, reviewedNonMatches: each - errors, unreviewed: 10_000 - each,
                  covered: ["a/non-match": 10_000 - each]),
        ], auditVerdicts: verdicts("a/match", 0.99, errors: errors) + verdicts("a/non-match", 0.01, errors: errors),
           frameSizes: ["a/match": 10_000, "a/non-match": 10_000])
        let after = LinkageQuality.estimate(audited)
        XCTAssertEqual(after.intervalBasis, .design)
        XCTAssertNil(after.auditVerdictsToBoundF1)
        let halfWidth = (after.f1.high - after.f1.low) / 2
        XCTAssertLessThanOrEqual(halfWidth, LinkageQuality.targetHalfWidth * 1.25, "audit of \(needed): half-width \(halfWidth)")
        XCTAssertGreaterThanOrEqual(halfWidth, LinkageQuality.targetHalfWidth * 0.5, "audit of \(needed): half-width \(halfWidth)")
    }

    /// Pairs waiting in the review band have neither verdict nor audit: the estimate takes them
    /// as the model has them, and says that its intervals then hold only as far as the model is
    /// calibrated there, with the errors it expects among them, and what holds whatever they hold.
    func testPairsWaitingInTheBandAreSaidToRestOnTheModel() {
        let input = QualityInput(patterns: [
            .init(probability: 0.999, reviewedMatches: 0, reviewedNonMatches: 0, unreviewed: 1_000, covered: ["a/match": 1_000]),
            .init(probability: 0.7, reviewedMatches: 0, reviewedNonMatches: 0, unreviewed: 200, inReviewBand: true),
        ], auditVerdicts: (0..<50).map { _ in .init(stratum: "a/match", probability: 0.999, isMatch: true) },
           frameSizes: ["a/match": 1_050])
        let estimate = LinkageQuality.estimate(input)
        XCTAssertEqual(estimate.intervalBasis, .design)
        XCTAssertEqual(estimate.modelBasedPairs - estimate.modelDecidedPairs, 200)
        XCTAssertTrue(estimate.notes.contains {
            $0.hasPrefix("200 pairs wait in the review band") && $0.contains("only as far as it is calibrated there")
                && $0.contains("expects about 60 errors")
        }, "\(estimate.notes)")
        // Whatever they hold: all 200 false matches would leave precision 1,000 / 1,200 and F1
        // 2,000 / 2,200 (recall untouched), each as far below as its interval reaches.
        let floors = try! XCTUnwrap(estimate.whateverTheBandHolds)
        XCTAssertEqual(floors.precision, 1_000.0 / 1_200 - (estimate.precision.estimate - estimate.precision.low), accuracy: 1e-9)
        XCTAssertEqual(floors.recall, estimate.recall.low, accuracy: 1e-9)
        XCTAssertEqual(floors.f1, 2_000.0 / 2_200 - (estimate.f1.estimate - estimate.f1.low), accuracy: 1e-9)
        XCTAssertLessThan(floors.precision, estimate.precision.low)
        // With no pair waiting there is nothing to say.
        var reviewed = input
        reviewed.patterns[1] = .init(probability: 0.7, reviewedMatches: 150, reviewedNonMatches: 50, unreviewed: 0, inReviewBand: true)
        XCTAssertNil(LinkageQuality.estimate(reviewed).whateverTheBandHolds)
    }

    /// Many pairs, errors rare (a model that is right about itself): the audit size named before
    /// any audit is the smallest that, drawn in proportion and seeing no error, bounds F1 to
    /// ±0.005 below its estimate, and it is what the exact bound asks, far fewer than a rate
    /// planned at 1% would ask (about 9,200 here).
    func testTheAuditSizeNamedBeforeAnAuditIsTheLeastThatBoundsF1WhenNoErrorIsSeen() {
        let (matches, nonMatches) = (50_000, 200_000)
        let unaudited = QualityInput(patterns: [
            .init(probability: 0.9999, reviewedMatches: 0, reviewedNonMatches: 0, unreviewed: matches),
            .init(probability: 0.000001, reviewedMatches: 0, reviewedNonMatches: 0, unreviewed: nonMatches),
        ], auditVerdicts: [], frameSizes: [:])
        let needed = try! XCTUnwrap(LinkageQuality.estimate(unaudited).auditVerdictsToBoundF1)
        XCTAssertLessThan(needed, 2_500)

        // That many drawn in proportion, every verdict agreeing with the model.
        func belowEstimate(auditing total: Int) -> Double {
            let onMatches = Int((Double(total) * Double(matches) / Double(matches + nonMatches)).rounded())
            let onNonMatches = total - onMatches
            let audited = QualityInput(patterns: [
                .init(probability: 0.9999, reviewedMatches: onMatches, reviewedNonMatches: 0, unreviewed: matches - onMatches,
                      covered: ["a/match": matches - onMatches]),
                .init(probability: 0.000001, reviewedMatches: 0, reviewedNonMatches: onNonMatches, unreviewed: nonMatches - onNonMatches,
                      covered: ["a/non-match": nonMatches - onNonMatches]),
            ], auditVerdicts: (0..<onMatches).map { _ in .init(stratum: "a/match", probability: 0.9999, isMatch: true) }
                + (0..<onNonMatches).map { _ in .init(stratum: "a/non-match", probability: 0.000001, isMatch: false) },
               frameSizes: ["a/match": matches, "a/non-match": nonMatches])
            let estimate = LinkageQuality.estimate(audited)
            XCTAssertEqual(estimate.intervalBasis, .design)
            return estimate.f1.estimate - estimate.f1.low
        }
        XCTAssertLessThanOrEqual(belowEstimate(auditing: needed), LinkageQuality.targetHalfWidth * 1.02, "audit of \(needed)")
        XCTAssertGreaterThan(belowEstimate(auditing: needed * 9 / 10), LinkageQuality.targetHalfWidth, "audit of \(needed * 9 / 10)")
    }

    /// The same audit size split by Neyman's allocation rather than in proportion, on a
    /// constructed population of the model's decisions whose true error rates are known (and
    /// differ from what the model expects): the intervals cover the true precision and recall
    /// either way. Where errors sit near the band, F1's interval is narrower.
    func testANeymanAllocatedAuditCoversAndIsNarrower() {
        // Stratum: size, the model's probability, true errors (a sure stratum holds a few the
        // model does not expect at all).
        let halfWidths = meanHalfWidths(strata: [
            ("non-match 0–0.001", 20_000, 0.0001, 4), ("non-match 0.05–0.5", 4_000, 0.15, 600),
            ("match 0.5–0.95", 4_000, 0.8, 800), ("match 0.999–1", 20_000, 0.9995, 10),
        ])
        XCTAssertLessThan(halfWidths["neyman"]!, 0.95 * halfWidths["proportional"]!, "\(halfWidths)")
    }

    /// Where the pairs the model is sure of outweigh the few errors near the band, their exact
    /// bound rules F1's interval, and it is least with them drawn in proportion: Neyman's split
    /// is then no wider than proportion's.
    func testANeymanAllocatedAuditIsNoWiderWhereSurePairsRule() {
        let halfWidths = meanHalfWidths(strata: [
            ("non-match 0–0.001", 60_000, 0.0001, 12), ("non-match 0.01–0.05", 2_000, 0.03, 80),
            ("match 0.95–0.99", 1_500, 0.97, 60), ("match 0.999–1", 20_000, 0.9995, 40),
        ])
        XCTAssertLessThanOrEqual(halfWidths["neyman"]!, halfWidths["proportional"]!, "\(halfWidths)")
    }

    /// 400 audit verdicts split in proportion and by Neyman's allocation (planned from the
    /// model's probabilities), each drawn 200 times: both cover the true precision and recall in
    /// at least 180 draws; F1's mean half-width for each.
    func meanHalfWidths(strata: [(name: String, size: Int, probability: Double, errors: Int)]) -> [String: Double] {
        let sizes = Dictionary(uniqueKeysWithValues: strata.map { ($0.name, $0.size) })
        let rates = Dictionary(uniqueKeysWithValues: strata.map { ($0.name, min($0.probability, 1 - $0.probability)) })
        let allocations = [
            "proportional": StratifiedAllocation.proportional(sizes: sizes, total: 400, minimum: 2),
            "neyman": StratifiedAllocation.minimumVariance(sizes: sizes, expectedErrorRates: rates, total: 400, minimum: 2),
        ]
        var meanHalfWidth: [String: Double] = [:]
        let draws = 200
        for (name, allocation) in allocations {
            var covered = (precision: 0, recall: 0)
            var halfWidths = 0.0
            for seed in 1...draws {
                let draw = auditDraw(strata: strata, allocation: allocation, seed: seed)
                if draw.estimate.precision.low <= draw.precision && draw.precision <= draw.estimate.precision.high { covered.precision += 1 }
                if draw.estimate.recall.low <= draw.recall && draw.recall <= draw.estimate.recall.high { covered.recall += 1 }
                halfWidths += (draw.estimate.f1.high - draw.estimate.f1.low) / 2
            }
            XCTAssertGreaterThanOrEqual(covered.precision, 180, "\(name) \(allocation): precision covered in \(covered.precision) of \(draws)")
            XCTAssertGreaterThanOrEqual(covered.recall, 180, "\(name) \(allocation): recall covered in \(covered.recall) of \(draws)")
            meanHalfWidth[name] = halfWidths / Double(draws)
        }
        return meanHalfWidth
    }

    /// An audit too small for F1 to ±0.005: the estimate says how many more audit verdicts would
    /// do it, and an audit that much larger, erring at the same rate, does (one short of a fifth
    /// of them does not).
    func testTheAuditVerdictsNeededToNarrowF1AreNamedAndSuffice() {
        // 50,000 pairs the model calls matches, 2% of them not; 10,000 non-matches all reviewed.
        func estimate(audited n: Int) -> QualityEstimate {
            let errors = Int((Double(n) * 0.02).rounded())
            return LinkageQuality.estimate(QualityInput(patterns: [
                .init(probability: 0.999, reviewedMatches: n - errors, reviewedNonMatches: errors, unreviewed: 50_000 - n,
                      covered: ["a/match": 50_000 - n]),
                .init(probability: 0.01, reviewedMatches: 0, reviewedNonMatches: 10_000, unreviewed: 0),
            ], auditVerdicts: (0..<n).map { .init(stratum: "a/match", probability: 0.999, isMatch: $0 >= errors) },
               frameSizes: ["a/match": 50_000]))
        }
        // Below the estimate: above, the interval is cut at 1.
        func halfWidth(_ e: QualityEstimate) -> Double { e.f1.estimate - e.f1.low }
        let small = estimate(audited: 100)
        XCTAssertEqual(small.intervalBasis, .design)
        XCTAssertGreaterThan(halfWidth(small), LinkageQuality.targetHalfWidth)
        let more = try! XCTUnwrap(small.auditVerdictsToNarrowF1)
        XCTAssertTrue(small.notes.contains { $0.contains("About \(more) more audit verdicts") && $0.contains("--allocation neyman") }, "\(small.notes)")
        XCTAssertLessThanOrEqual(halfWidth(estimate(audited: 100 + more)), LinkageQuality.targetHalfWidth * 1.05, "\(more) more")
        XCTAssertGreaterThan(halfWidth(estimate(audited: 100 + more * 4 / 5)), LinkageQuality.targetHalfWidth, "\(more) more")
        XCTAssertNil(estimate(audited: 100 + more + 50).auditVerdictsToNarrowF1, "narrow enough: no advice")
    }

    /// The same where the audit sees no error in two strata bounded together: the advice, split
    /// between them as it would be drawn, brings F1's interval to ±0.005 (a fifth fewer do not).
    func testTheAuditVerdictsNeededWhereNoErrorIsSeenSuffice() {
        // 50,000 pairs the model calls matches and 30,000 it calls non-matches, none of them wrong.
        func estimate(audited: [String: Int]) -> QualityEstimate {
            let (matches, nonMatches) = (audited["a/match"]!, audited["a/non-match"]!)
            return LinkageQuality.estimate(QualityInput(patterns: [
                .init(probability: 0.999, reviewedMatches: matches, reviewedNonMatches: 0, unreviewed: 50_000 - matches,
                      covered: ["a/match": 50_000 - matches]),
                .init(probability: 0.001, reviewedMatches: 0, reviewedNonMatches: nonMatches, unreviewed: 30_000 - nonMatches,
                      covered: ["a/non-match": 30_000 - nonMatches]),
            ], auditVerdicts: (0..<matches).map { _ in .init(stratum: "a/match", probability: 0.999, isMatch: true) }
                + (0..<nonMatches).map { _ in .init(stratum: "a/non-match", probability: 0.001, isMatch: false) },
               frameSizes: ["a/match": 50_000, "a/non-match": 30_000]))
        }
        func halfWidth(_ e: QualityEstimate) -> Double { e.f1.estimate - e.f1.low }
        let sizes = ["a/match": 50_000, "a/non-match": 30_000]
        let start = ["a/match": 100, "a/non-match": 100]
        let small = estimate(audited: start)
        XCTAssertGreaterThan(halfWidth(small), LinkageQuality.targetHalfWidth)
        let more = try! XCTUnwrap(small.auditVerdictsToNarrowF1)
        // Drawn as an audit of the whole would split it: in proportion, the two strata alike.
        func audited(_ extra: Int) -> [String: Int] {
            StratifiedAllocation.proportional(sizes: sizes, total: 200 + extra).merging(start) { max($0, $1) }
        }
        XCTAssertLessThanOrEqual(halfWidth(estimate(audited: audited(more))), LinkageQuality.targetHalfWidth * 1.05, "\(more) more")
        XCTAssertGreaterThan(halfWidth(estimate(audited: audited(more * 4 / 5))), LinkageQuality.targetHalfWidth, "\(more) more")
    }
}
