@testable import ClericalCore
import Foundation
import XCTest

/// A binary comparison (agree = 1, else = 0, null = -1), the shape of most tests here.
private func binaryComparison(_ name: String) -> Comparison {
    Comparison(name: name, levels: [
        ComparisonLevel(gamma: -1, label: "\(name) is null", isNull: true),
        ComparisonLevel(gamma: 1, label: "Exact match on \(name)", isNull: false),
        ComparisonLevel(gamma: 0, label: "All other comparisons", isNull: false),
    ])
}

/// A model over binary comparisons with P(agree | match) = m[k], P(agree | non-match) = u[k].
private func binaryModel(lambda: Double, m: [Double], u: [Double]) -> FellegiSunterModel {
    FellegiSunterModel(
        comparisons: m.indices.map { binaryComparison("c\($0)") }, lambda: lambda,
        parameters: m.indices.map { [.null, LevelParameters(m: m[$0], u: u[$0]), LevelParameters(m: 1 - m[$0], u: 1 - u[$0])] })
}

/// Draws comparison vectors from latent classes, each a share of pairs with its own
/// per-comparison agreement rates; a share of values is missing.
private struct PairGenerator {
    struct LatentClass {
        var share: Double
        var agreement: [Double]
        var isMatch: Bool
    }
    var classes: [LatentClass]
    var missingRate = 0.0

    func draw(_ count: Int, seed: UInt64) -> (gammas: [[Int]], isMatch: [Bool]) {
        var random = SeededGenerator(seed: seed)
        var gammas: [[Int]] = [], isMatch: [Bool] = []
        for _ in 0..<count {
            var pick = Double.random(in: 0..<1, using: &random)
            let latent = classes.first { pick -= $0.share; return pick < 0 } ?? classes.last!
            gammas.append(latent.agreement.map { rate in
                if missingRate > 0, Double.random(in: 0..<1, using: &random) < missingRate { return -1 }
                return Double.random(in: 0..<1, using: &random) < rate ? 1 : 0
            })
            isMatch.append(latent.isMatch)
        }
        return (gammas, isMatch)
    }
}

/// Aggregates pairs into pattern tallies, clamping the labelled ones.
private func tallies(_ gammas: [[Int]], labels: [Verdict?]? = nil) -> [PatternTally] {
    var byPattern: [[Int]: PatternTally] = [:]
    var order: [[Int]] = []
    for (j, vector) in gammas.enumerated() {
        if byPattern[vector] == nil {
            byPattern[vector] = PatternTally(gammas: vector, unlabelled: 0)
            order.append(vector)
        }
        switch labels?[j] {
        case .match?: byPattern[vector]!.matches += 1
        case .nonMatch?: byPattern[vector]!.nonMatches += 1
        default: byPattern[vector]!.unlabelled += 1
        }
    }
    return order.map { byPattern[$0]! }
}

/// Share of true matches and non-matches the model puts on the right side of 0.5.
private func accuracy(_ model: FellegiSunterModel, _ gammas: [[Int]], _ isMatch: [Bool]) -> (precision: Double, recall: Double) {
    var truePositive = 0.0, falsePositive = 0.0, falseNegative = 0.0
    for (vector, truth) in zip(gammas, isMatch) {
        let predicted = model.score(gammas: vector).matchProbability >= 0.5
        if predicted && truth { truePositive += 1 }
        if predicted && !truth { falsePositive += 1 }
        if !predicted && truth { falseNegative += 1 }
    }
    return (truePositive / max(truePositive + falsePositive, 1), truePositive / max(truePositive + falseNegative, 1))
}

final class EstimationTests: XCTestCase {
    /// Blocking keeps only pairs that agree on c0 or c1. Over that candidate set the classes
    /// are no longer independent; fitted over the patterns the queue holds, EM recovers the
    /// parameters the pairs came from, and fitted over every pattern it does not.
    func testEMConditionalOnTheCandidateSetRecoversParametersThatBlockingHides() {
        let truth = binaryModel(lambda: 0.1, m: [0.9, 0.85, 0.8, 0.9], u: [0.2, 0.25, 0.1, 0.05])
        let generator = PairGenerator(classes: [
            .init(share: 0.1, agreement: [0.9, 0.85, 0.8, 0.9], isMatch: true),
            .init(share: 0.9, agreement: [0.2, 0.25, 0.1, 0.05], isMatch: false),
        ])
        let (all, isMatch) = generator.draw(400_000, seed: 5)
        let blocked = zip(all, isMatch).filter { $0.0[0] == 1 || $0.0[1] == 1 }
        let gammas = blocked.map(\.0)
        let start = binaryModel(lambda: 0.3, m: [0.7, 0.7, 0.7, 0.7], u: [0.3, 0.3, 0.3, 0.3])
        var options = EstimationOptions(maxIterations: 500)
        options.conditionalOnCandidates = true
        let conditional = ExpectationMaximisation.estimate(start: start, tallies: tallies(gammas), options: options)
        options.conditionalOnCandidates = false
        let unconditional = ExpectationMaximisation.estimate(start: start, tallies: tallies(gammas), options: options)
        for k in 2..<4 {  // the comparisons blocking did not use
            XCTAssertEqual(conditional.model.parameters[k][1].m!, truth.parameters[k][1].m!, accuracy: 0.02, "m of c\(k)")
            XCTAssertEqual(conditional.model.parameters[k][1].u!, truth.parameters[k][1].u!, accuracy: 0.02, "u of c\(k)")
        }
        for k in 0..<2 {  // blocking's own comparisons: their u over candidates is not the population's
            XCTAssertEqual(conditional.model.parameters[k][1].m!, truth.parameters[k][1].m!, accuracy: 0.02, "m of c\(k)")
            XCTAssertEqual(conditional.model.parameters[k][1].u!, truth.parameters[k][1].u!, accuracy: 0.02, "u of c\(k)")
            XCTAssertGreaterThan(abs(unconditional.model.parameters[k][1].u! - truth.parameters[k][1].u!), 0.1,
                                 "without the support, u of c\(k) is the candidate-set share")
        }
        // The conditional model's probabilities are the true posteriors over the candidates.
        for vector in Set(gammas) {
            var odds = log2(truth.lambda / (1 - truth.lambda))
            for (k, g) in vector.enumerated() { odds += truth.parameters(comparison: k, gamma: g)!.weight }
            XCTAssertEqual(conditional.model.score(gammas: vector).matchProbability, MatchWeight.probability(odds), accuracy: 0.02, "\(vector)")
        }
    }

    func testEMRecoversTheParametersItsDataCameFrom() {
        let truth = binaryModel(lambda: 0.3, m: [0.95, 0.9, 0.85, 0.8, 0.9], u: [0.05, 0.2, 0.1, 0.3, 0.02])
        let generator = PairGenerator(classes: [
            .init(share: 0.3, agreement: [0.95, 0.9, 0.85, 0.8, 0.9], isMatch: true),
            .init(share: 0.7, agreement: [0.05, 0.2, 0.1, 0.3, 0.02], isMatch: false),
        ], missingRate: 0.05)
        let (gammas, _) = generator.draw(200_000, seed: 1)
        let start = binaryModel(lambda: 0.5, m: [0.7, 0.7, 0.7, 0.7, 0.7], u: [0.3, 0.3, 0.3, 0.3, 0.3])

        let result = ExpectationMaximisation.estimate(start: start, tallies: tallies(gammas))

        XCTAssertTrue(result.converged)
        XCTAssertEqual(result.model.lambda, truth.lambda, accuracy: 0.01)
        for k in truth.comparisons.indices {
            for i in 1...2 {
                XCTAssertEqual(result.model.parameters[k][i].m!, truth.parameters[k][i].m!, accuracy: 0.01, "m of c\(k) level \(i)")
                XCTAssertEqual(result.model.parameters[k][i].u!, truth.parameters[k][i].u!, accuracy: 0.01, "u of c\(k) level \(i)")
            }
            XCTAssertEqual(result.model.parameters[k][0], .null, "the null level stays null")
        }
    }

    func testPatternEMEqualsPairByPairEM() {
        let generator = PairGenerator(classes: [
            .init(share: 0.2, agreement: [0.9, 0.8, 0.7, 0.95], isMatch: true),
            .init(share: 0.8, agreement: [0.1, 0.3, 0.2, 0.05], isMatch: false),
        ], missingRate: 0.1)
        let (gammas, isMatch) = generator.draw(20_000, seed: 2)
        let start = binaryModel(lambda: 0.4, m: [0.6, 0.6, 0.6, 0.6], u: [0.4, 0.4, 0.4, 0.4])
        // The pair-by-pair reference is the classic EM, over every comparison vector.
        let options = EstimationOptions(maxIterations: 25, tolerance: 0, conditionalOnCandidates: false)
        var labels = [Verdict?](repeating: nil, count: gammas.count)
        for j in stride(from: 0, to: gammas.count, by: 37) { labels[j] = isMatch[j] ? .match : .nonMatch }
        for j in stride(from: 5, to: gammas.count, by: 101) { labels[j] = .unsure }

        for labelled in [false, true] {
            let byPattern = ExpectationMaximisation.estimate(
                start: start, tallies: tallies(gammas, labels: labelled ? labels : nil), options: options)
            let byPair = PairwiseExpectationMaximisation.estimate(
                start: start, gammas: gammas, labels: labelled ? labels : nil, options: options)
            XCTAssertEqual(byPattern.iterations, byPair.iterations)
            XCTAssertEqual(byPattern.model.lambda, byPair.model.lambda, accuracy: 1e-9)
            XCTAssertEqual(byPattern.logLikelihood, byPair.logLikelihood, accuracy: 1e-9 * abs(byPair.logLikelihood))
            for k in start.comparisons.indices {
                for i in 1...2 {
                    XCTAssertEqual(byPattern.model.parameters[k][i].m!, byPair.model.parameters[k][i].m!, accuracy: 1e-9)
                    XCTAssertEqual(byPattern.model.parameters[k][i].u!, byPair.model.parameters[k][i].u!, accuracy: 1e-9)
                }
            }
            XCTAssertEqual(byPattern.labelledMatches, byPair.labelledMatches)
        }
    }

    /// People in one household agree on surname, address and postcode without being the same
    /// person. From the true parameters, unlabelled EM walks off to "same household" as its
    /// match class: a wrong grouping with a higher likelihood than the right one. Clamped
    /// labels on 4% of the pairs hold it to the right grouping.
    func testAFewLabelsRescueEMFromAWrongGroupingWithHigherLikelihood() {
        // Comparisons: given name, date of birth | surname, address, postcode.
        let matches = [0.92, 0.95, 0.97, 0.9, 0.9], household = [0.04, 0.03, 0.97, 0.95, 0.95], others = [0.05, 0.02, 0.05, 0.03, 0.05]
        let generator = PairGenerator(classes: [
            .init(share: 0.35, agreement: matches, isMatch: true),
            .init(share: 0.30, agreement: household, isMatch: false),
            .init(share: 0.35, agreement: others, isMatch: false),
        ])
        let (gammas, isMatch) = generator.draw(2_000, seed: 3)
        let nonMatchAgreement = zip(household, others).map { (0.30 * $0 + 0.35 * $1) / 0.65 }
        let truth = binaryModel(lambda: 0.35, m: matches, u: nonMatchAgreement)
        let unlabelledTallies = tallies(gammas)

        let unlabelled = ExpectationMaximisation.estimate(start: truth, tallies: unlabelledTallies)
        XCTAssertLessThan(accuracy(unlabelled.model, gammas, isMatch).precision, 0.6, "household members are taken for matches")

        var labels = [Verdict?](repeating: nil, count: gammas.count)
        var random = SeededGenerator(seed: 4)
        var labelled = Set<Int>()
        while labelled.count < 80 { labelled.insert(Int.random(in: 0..<gammas.count, using: &random)) }
        for j in labelled { labels[j] = isMatch[j] ? .match : .nonMatch }
        let anchored = ExpectationMaximisation.estimate(start: truth, tallies: tallies(gammas, labels: labels))
        let anchoredAccuracy = accuracy(anchored.model, gammas, isMatch)
        XCTAssertGreaterThan(anchoredAccuracy.precision, 0.95)
        XCTAssertGreaterThan(anchoredAccuracy.recall, 0.95)
        XCTAssertEqual(anchored.labelledMatches + anchored.labelledNonMatches, 80)

        // The wrong grouping is the better fit: EM alone has every reason to prefer it.
        let wrongFit = ExpectationMaximisation.logLikelihood(unlabelled.model, tallies: unlabelledTallies)
        XCTAssertGreaterThan(wrongFit, ExpectationMaximisation.logLikelihood(anchored.model, tallies: unlabelledTallies) + 100)
        XCTAssertGreaterThan(wrongFit, ExpectationMaximisation.logLikelihood(truth, tallies: unlabelledTallies) + 100)
    }

    /// The correction's ridge penalty is chosen by held-out verdicts: verdicts that show the
    /// model a household interaction it lacks ask for a lighter penalty (3 or 10 in these
    /// seeds), and verdicts drawn from the model's own probabilities (nothing to correct) for
    /// the heaviest.
    func testCrossValidationChoosesTheCorrectionsPenaltyByWhatTheVerdictsShow() {
        // Four personal comparisons (given name, date of birth, …) and four a household shares
        // (surname, address, postcode, telephone): 256 patterns, so that most have no verdict
        // and the correction must carry what verdicts show to patterns they did not reach.
        let matches = [Double](repeating: 0.85, count: 8)
        let household = [0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9], others = [Double](repeating: 0.1, count: 8)
        let generator = PairGenerator(classes: [
            .init(share: 0.35, agreement: matches, isMatch: true),
            .init(share: 0.30, agreement: household, isMatch: false),
            .init(share: 0.35, agreement: others, isMatch: false),
        ])
        for seed in [5, 7, 9] as [UInt64] {
            let (gammas, isMatch) = generator.draw(5_000, seed: seed)
            // A model that has the non-matches' agreement rates of a population without
            // households: four agreements shared in a household outweigh four disagreements.
            let model = binaryModel(lambda: 0.35, m: matches, u: [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])
            XCTAssertLessThan(accuracy(model, gammas, isMatch).precision, 0.9)
            let patternIndex = Dictionary(tallies(gammas).enumerated().map { ($0.element.gammas, $0.offset) }, uniquingKeysWith: { a, _ in a })

            func chosenPenalty(_ verdict: (Int) -> Bool) -> Double {
                var labels = [Verdict?](repeating: nil, count: gammas.count)
                var labelled: [LabelledPair] = []
                for j in stride(from: 0, to: gammas.count, by: 15) {
                    let match = verdict(j)
                    labels[j] = match ? .match : .nonMatch
                    labelled.append(LabelledPair(pattern: patternIndex[gammas[j]]!, isMatch: match, pairID: Int64(j)))
                }
                let clamped = tallies(gammas, labels: labels)
                XCTAssertEqual(clamped.map(\.gammas), tallies(gammas).map(\.gammas), "the same patterns in the same order")
                let validation = ModelSelection.crossValidate(imported: model, starts: [false: model, true: model], tallies: clamped,
                                                              labelled: labelled, options: .init(), settings: .init())
                return validation.bestPenalty(conditional: false, default: InteractionCorrection.Settings().penalty)
            }

            let fromTruth = chosenPenalty { isMatch[$0] }
            var random = SeededGenerator(seed: seed + 1)
            let probabilities = gammas.map { model.score(gammas: $0).matchProbability }
            let fromTheModel = chosenPenalty { Double.random(in: 0..<1, using: &random) < probabilities[$0] }
            XCTAssertEqual(fromTheModel, ModelSelection.penalties.max(), "seed \(seed): nothing to correct, so the heaviest penalty")
            XCTAssertLessThan(fromTruth, fromTheModel, "seed \(seed): a strong interaction asks for a lighter penalty than verdicts that agree with the model")
            XCTAssertTrue(ModelSelection.penalties.contains(fromTruth))
        }
    }

    func testLevelsWithoutSupportKeepAFloorAndFiniteWeights() {
        // Nobody ever agrees on c1, and c2 is always null.
        let generator = PairGenerator(classes: [
            .init(share: 0.5, agreement: [0.9, 0, 0.5], isMatch: true),
            .init(share: 0.5, agreement: [0.1, 0, 0.5], isMatch: false),
        ])
        var (gammas, _) = generator.draw(5_000, seed: 5)
        for j in gammas.indices { gammas[j][2] = -1 }
        let start = binaryModel(lambda: 0.5, m: [0.8, 0.5, 0.5], u: [0.2, 0.5, 0.5])

        let result = ExpectationMaximisation.estimate(start: start, tallies: tallies(gammas))

        for k in 0..<3 {
            for parameters in result.model.parameters[k] {
                XCTAssertTrue(parameters.weight.isFinite, "c\(k): \(parameters)")
                if let m = parameters.m, let u = parameters.u {
                    XCTAssertGreaterThan(m, 0)
                    XCTAssertGreaterThan(u, 0)
                }
            }
        }
        XCTAssertEqual(result.model.parameters[1][1].m!, EstimationOptions.probabilityFloor, accuracy: 1e-9)
        XCTAssertEqual(result.model.parameters[2][1].m, start.parameters[2][1].m, "a comparison never observed keeps its values")
        XCTAssertTrue(result.model.score(gammas: [1, 1, -1]).matchWeight.isFinite)
    }

    func testFixUKeepsU() {
        let generator = PairGenerator(classes: [
            .init(share: 0.3, agreement: [0.9, 0.8], isMatch: true),
            .init(share: 0.7, agreement: [0.1, 0.2], isMatch: false),
        ])
        let (gammas, _) = generator.draw(5_000, seed: 6)
        let start = binaryModel(lambda: 0.5, m: [0.6, 0.6], u: [0.01, 0.02])
        let result = ExpectationMaximisation.estimate(start: start, tallies: tallies(gammas), options: .init(fixU: true))
        for k in 0..<2 {
            XCTAssertEqual(result.model.parameters[k][1].u, start.parameters[k][1].u)
            XCTAssertNotEqual(result.model.parameters[k][1].m, start.parameters[k][1].m)
        }
    }

    func testStartingProbabilitiesForAModelThatKnowsOnlyWeights() {
        var model = binaryModel(lambda: 0.3, m: [0.9, 0.8], u: [0.1, 0.2])
        for k in 0..<2 {
            for i in 1...2 { model.parameters[k][i] = LevelParameters(m: nil, u: nil, weight: model.parameters[k][i].weight) }
        }
        XCTAssertFalse(model.hasProbabilities)
        let started = model.withStartingProbabilities(from: [PatternTally(gammas: [1, 0], unlabelled: 10),
                                                             PatternTally(gammas: [0, 0], unlabelled: 30)])
        XCTAssertTrue(started.hasProbabilities)
        for k in 0..<2 {
            XCTAssertGreaterThan(started.parameters[k][1].weight, started.parameters[k][2].weight, "agreement still counts for")
            XCTAssertEqual(started.parameters[k][1].m! + started.parameters[k][2].m!, 1, accuracy: 1e-12)
        }
    }

    func testFinalVerdictIsAdjudicatedThenAgreedThenFirst() {
        XCTAssertEqual(FinalVerdict.resolve(review: .match, secondReview: nil, adjudication: nil), .match)
        XCTAssertEqual(FinalVerdict.resolve(review: .match, secondReview: .match, adjudication: nil), .match)
        XCTAssertNil(FinalVerdict.resolve(review: .match, secondReview: .nonMatch, adjudication: nil))
        XCTAssertEqual(FinalVerdict.resolve(review: .match, secondReview: .nonMatch, adjudication: .nonMatch), .nonMatch)
        XCTAssertEqual(FinalVerdict.resolve(review: nil, secondReview: .unsure, adjudication: nil), .unsure)
    }

    func testThresholdsKeepExpectedErrorRatesUnderTheTargets() {
        let scored: [(probability: Double, count: Int)] = [
            (0.999, 1000), (0.98, 100), (0.9, 50), (0.6, 20), (0.3, 20), (0.05, 100), (0.001, 5000),
        ]
        let suggestion = ThresholdSuggestion.suggest(scored: scored, targetFalseMatchRate: 0.01, targetMissedMatchRate: 0.01)
        // Taking 0.999 and 0.98: (1 + 2) / 1100 ≈ 0.0027; adding 0.9: 8 / 1150 ≈ 0.007; adding 0.6: 16 / 1170 ≈ 0.0137.
        XCTAssertEqual(suggestion.high, 0.9)
        XCTAssertLessThanOrEqual(suggestion.expectedFalseMatchRate, 0.01)
        // Expected matches ≈ 1160.0; rejecting 0.001 misses 5, then 0.05 adds 5 (0.0086), 0.3 adds 6 (0.0138).
        XCTAssertEqual(suggestion.low, 0.3)
        XCTAssertLessThanOrEqual(suggestion.expectedMissedMatchRate, 0.01)
        XCTAssertEqual(suggestion.pairsInBand, 40)
    }

    func testReviewPrioritySpreadsAcrossPatterns() {
        XCTAssertLessThan(ReviewPriority.of(probability: 0.46, rankInPattern: 0), ReviewPriority.of(probability: 0.5, rankInPattern: 1))
        // 0.05 more for each doubling of the pairs served.
        for (served, spread) in zip([0, 1, 2, 3, 6, 7, 1022, 1023], [0, 0.05, 0.05, 0.1, 0.1, 0.15, 0.45, 0.5]) {
            XCTAssertEqual(ReviewPriority.of(probability: 0.5, rankInPattern: served), spread, accuracy: 1e-12)
        }
        XCTAssertLessThan(ReviewPriority.of(probability: 0.5, rankInPattern: 0), ReviewPriority.of(probability: 0.45, rankInPattern: 0))
        XCTAssertEqual(ReviewPriority.of(probability: 0.5, rankInPattern: 0), 0)
    }
}

final class AgreementTests: XCTestCase {
    /// The textbook example (Cohen's kappa, as in most introductions): 50 items; both say
    /// yes to 20, both no to 15; A yes and B no 5, A no and B yes 10. p₀ = 0.7, pₑ = 0.5, κ = 0.4.
    func testKappaOnTheTextbookExample() {
        var agreement = Agreement()
        agreement.add(first: .match, second: .match, count: 20)
        agreement.add(first: .match, second: .nonMatch, count: 5)
        agreement.add(first: .nonMatch, second: .match, count: 10)
        agreement.add(first: .nonMatch, second: .nonMatch, count: 15)
        XCTAssertEqual(agreement.pairs, 50)
        XCTAssertEqual(agreement.observed, 0.7, accuracy: 1e-12)
        XCTAssertEqual(agreement.expectedByChance, 0.5, accuracy: 1e-12)
        XCTAssertEqual(agreement.kappa, 0.4, accuracy: 1e-12)
        // SE = √(0.7 · 0.3 / (50 · 0.25)) = 0.12961; 0.4 ± 1.96 · SE.
        XCTAssertEqual(agreement.kappaInterval.low, 0.4 - 1.96 * 0.129615, accuracy: 1e-5)
        XCTAssertEqual(agreement.kappaInterval.high, 0.4 + 1.96 * 0.129615, accuracy: 1e-5)
    }

    func testPerfectAndChanceAgreement() {
        var perfect = Agreement()
        perfect.add(first: .match, second: .match, count: 7)
        perfect.add(first: .nonMatch, second: .nonMatch, count: 3)
        XCTAssertEqual(perfect.kappa, 1, accuracy: 1e-12)
        var chance = Agreement()
        for (first, second) in [(Verdict.match, Verdict.match), (.match, .nonMatch), (.nonMatch, .match), (.nonMatch, .nonMatch)] {
            chance.add(first: first, second: second, count: 25)
        }
        XCTAssertEqual(chance.kappa, 0, accuracy: 1e-12)
        XCTAssertTrue(Agreement().kappa.isNaN)
    }
}

final class StratifiedAllocationTests: XCTestCase {
    func testProportionalAndExact() {
        XCTAssertEqual(StratifiedAllocation.proportional(sizes: ["a": 50, "b": 30, "c": 20], total: 10), ["a": 5, "b": 3, "c": 2])
        // 7 of 3 + 3 + 3: the largest remainders (ties by name) take the extra one.
        XCTAssertEqual(StratifiedAllocation.proportional(sizes: ["x": 3, "y": 3, "z": 3], total: 7), ["x": 3, "y": 2, "z": 2])
        let allocation = StratifiedAllocation.proportional(sizes: ["a": 1, "b": 1000, "c": 7], total: 101)
        XCTAssertEqual(allocation.values.reduce(0, +), 101)
        XCTAssertLessThanOrEqual(allocation["a"]!, 1)
        XCTAssertEqual(StratifiedAllocation.proportional(sizes: ["a": 2], total: 5), ["a": 2], "never more than a stratum holds")
        // A minimum per stratum first, the rest in proportion; a stratum smaller than it gives all it has.
        XCTAssertEqual(StratifiedAllocation.proportional(sizes: ["big": 10_000, "small": 30, "tiny": 1], total: 20, minimum: 2),
                       ["big": 17, "small": 2, "tiny": 1])
        XCTAssertEqual(StratifiedAllocation.proportional(sizes: ["a": 50, "b": 30, "c": 20], total: 4, minimum: 2),
                       StratifiedAllocation.proportional(sizes: ["a": 50, "b": 30, "c": 20], total: 4), "no room for the minimum: plain proportion")
    }

    /// Neyman's allocation for the quality estimate: exact counts, never more than a stratum
    /// holds, the minimum first, and the narrowest planned interval of every split (checked
    /// against all of them for a small case): the strata likely to show errors by their
    /// variance, those likely to show none by the bound the estimate puts on them together.
    func testLeastVarianceAllocation() {
        func planned(_ split: [String: Int], sizes: [String: Int], rates: [String: Double], quiet: Set<String>) -> Double {
            let loud = split.filter { !quiet.contains($0.key) }.reduce(0.0) {
                $0 + StratifiedAllocation.plannedVariance(size: sizes[$1.key]!, errorRate: rates[$1.key]!, drawn: $1.value)
            }
            let bound = NoErrorSeenBound.errors(quiet.map {
                .init(covered: Double(sizes[$0]! - split[$0]!), frame: Double(sizes[$0]!), drawn: Double(split[$0]!), weight: 1)
            })
            return loud + (bound / LinkageQuality.z) * (bound / LinkageQuality.z)
        }
        func quiet(_ split: [String: Int], _ rates: [String: Double]) -> Set<String> {
            Set(split.keys.filter { pow(1 - rates[$0]!, Double(split[$0]!)) > 0.5 })
        }
        let sizes = ["sure": 300_000, "near band": 3_000, "between": 20_000]
        let rates = ["sure": 0.0, "near band": 0.1, "between": 0.002]
        let allocation = StratifiedAllocation.minimumVariance(sizes: sizes, expectedErrorRates: rates, total: 400, minimum: 2)
        XCTAssertEqual(allocation.values.reduce(0, +), 400)
        XCTAssertTrue(allocation.values.allSatisfy { $0 >= 2 })
        // The stratum near the band is likely to show errors; the two the model is sure of are
        // not, and are drawn alike, each pair as often as the other.
        let settled = quiet(allocation, rates)
        XCTAssertEqual(settled, ["sure", "between"], "\(allocation)")
        let perPair = allocation.mapValues(Double.init).merging(sizes.mapValues(Double.init), uniquingKeysWith: /)
        XCTAssertGreaterThan(perPair["near band"]!, 2 * perPair["sure"]!, "\(allocation)")
        XCTAssertEqual(perPair["between"]!, perPair["sure"]!, accuracy: 2 / 20_000, "\(allocation)")
        let proportional = StratifiedAllocation.proportional(sizes: sizes, total: 400, minimum: 2)
        XCTAssertLessThan(planned(allocation, sizes: sizes, rates: rates, quiet: settled),
                          planned(proportional, sizes: sizes, rates: rates, quiet: settled), "\(allocation) against \(proportional)")
        // Every split of 60 over three small strata: none has a narrower planned interval.
        let small = ["a": 500, "b": 300, "c": 2_000], smallRates = ["a": 0.08, "b": 0.2, "c": 0.0]
        let best = StratifiedAllocation.minimumVariance(sizes: small, expectedErrorRates: smallRates, total: 60, minimum: 2)
        let smallQuiet = quiet(best, smallRates)
        XCTAssertEqual(smallQuiet, ["c"], "\(best)")
        let found = planned(best, sizes: small, rates: smallRates, quiet: smallQuiet)
        for a in 2...56 { for b in 2...(58 - a) {
            let split = ["a": a, "b": b, "c": 60 - a - b]
            XCTAssertGreaterThanOrEqual(planned(split, sizes: small, rates: smallRates, quiet: smallQuiet), found - 1e-9, "\(split) beats \(best)")
        } }
        // Never more than a stratum holds; all of them when the total asks for it.
        XCTAssertEqual(StratifiedAllocation.minimumVariance(sizes: ["a": 3, "b": 1_000], expectedErrorRates: ["a": 0.4], total: 500, minimum: 2)["a"], 3)
        XCTAssertEqual(StratifiedAllocation.minimumVariance(sizes: ["a": 3, "b": 4], expectedErrorRates: [:], total: 50, minimum: 2), ["a": 3, "b": 4])
        XCTAssertEqual(StratifiedAllocation.minimumVariance(sizes: ["a": 3, "b": 4], expectedErrorRates: [:], total: 0, minimum: 2), ["a": 0, "b": 0])
    }

    /// A top-up of an earlier sample of the same pairs plans the two as one: topping up a
    /// split of 400 by 600 lands where a split of 1,000 would have (what each stratum needs beyond
    /// what it has), and a stratum the earlier sample over-drew gets nothing more than its
    /// minimum while the others catch up.
    func testATopUpPlansWithTheEarlierSample() {
        let sizes = ["sure": 300_000, "near band": 3_000, "between": 20_000]
        let rates = ["sure": 0.0, "near band": 0.1, "between": 0.002]
        let first = StratifiedAllocation.minimumVariance(sizes: sizes, expectedErrorRates: rates, total: 400, minimum: 2)
        let whole = StratifiedAllocation.minimumVariance(sizes: sizes, expectedErrorRates: rates, total: 1_000, minimum: 2)
        let left = sizes.merging(first, uniquingKeysWith: -)
        let topUp = StratifiedAllocation.minimumVariance(sizes: left, expectedErrorRates: rates, total: 600, minimum: 2, drawnBefore: first)
        XCTAssertEqual(topUp.values.reduce(0, +), 600)
        for name in sizes.keys {
            XCTAssertEqual(Double(first[name]! + topUp[name]!), Double(whole[name]!), accuracy: 1, "\(name): \(first) + \(topUp) against \(whole)")
        }
        // With nothing drawn before, the split is the one without a top-up.
        XCTAssertEqual(StratifiedAllocation.minimumVariance(sizes: sizes, expectedErrorRates: rates, total: 400, minimum: 2,
                                                            drawnBefore: ["sure": 0, "near band": 0, "between": 0]), first)
        // An earlier sample that drew the sure pairs 33 times as often as the other quiet stratum
        // (1 in 300 against 1 in 10,000): that one catches up before the sure pairs get more.
        let skewed = ["sure": 1_000, "near band": 2, "between": 2]
        let after = StratifiedAllocation.minimumVariance(sizes: sizes.merging(skewed, uniquingKeysWith: -), expectedErrorRates: rates,
                                                         total: 60, minimum: 2, drawnBefore: skewed)
        XCTAssertEqual(after.values.reduce(0, +), 60)
        XCTAssertEqual(after["sure"], 0, "\(after)")
        XCTAssertGreaterThan(after["between"]!, 2, "\(after)")
        // Given enough, the two quiet strata end drawn alike, each pair as often as the other.
        let more = StratifiedAllocation.minimumVariance(sizes: sizes.merging(skewed, uniquingKeysWith: -), expectedErrorRates: rates,
                                                        total: 300, minimum: 2, drawnBefore: skewed)
        XCTAssertEqual(Double(skewed["sure"]! + more["sure"]!) / 300_000, Double(skewed["between"]! + more["between"]!) / 20_000,
                       accuracy: 2 / 20_000, "\(more)")
    }
}

/// When a refit's unverified overturns may stand: once fresh verdicts on such overturns side
/// with them more often than not, beyond the Wilson interval's doubt.
final class OverturnRecordTests: XCTestCase {
    func testOverturnsAreTrustedOnlyOnceVerdictsBearThemOut() {
        XCTAssertFalse(OverturnRecord().trusted, "no test yet")
        XCTAssertFalse(OverturnRecord(agreeing: 3, disagreeing: 0).trusted, "three of three: lower Wilson limit 0.44")
        XCTAssertTrue(OverturnRecord(agreeing: 4, disagreeing: 0).trusted, "four of four: 0.51")
        XCTAssertFalse(OverturnRecord(agreeing: 6, disagreeing: 2).trusted, "six of eight: 0.41")
        XCTAssertTrue(OverturnRecord(agreeing: 40, disagreeing: 10).trusted)
        XCTAssertFalse(OverturnRecord(agreeing: 50, disagreeing: 50).trusted, "as often wrong as right")
        var record = OverturnRecord(agreeing: 1, disagreeing: 2)
        record.add(agreesWithOverturn: true)
        record.add(agreesWithOverturn: false)
        XCTAssertEqual(record, OverturnRecord(agreeing: 2, disagreeing: 3))
        XCTAssertEqual(record + OverturnRecord(agreeing: 5, disagreeing: 1), OverturnRecord(agreeing: 7, disagreeing: 4))
    }
}
