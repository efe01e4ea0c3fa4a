import Foundation

/// Which model a re-estimation may keep.
public enum ModelKind: String, Sendable, Codable, CaseIterable {
    /// The model the queue was imported with, unchanged.
    case imported
    /// Fellegi–Sunter m, u and λ conditional on the candidate set, by EM with verdicts clamped.
    case independent
    /// The independent model with the interaction correction learned from verdicts.
    case dependent
}

/// What `clerical reestimate --model` asks for.
public enum ModelRequest: String, Sendable, Codable, CaseIterable {
    case independent, dependent
    /// The model that best predicts verdicts it was not fitted on (never worse than the imported).
    case auto
}

/// One verdict as estimation sees it: its pattern (an index into the tallies), its class, and
/// the pair it is on (which fixes its cross-validation fold).
public struct LabelledPair: Sendable, Equatable {
    public var pattern: Int
    public var isMatch: Bool
    public var pairID: Int64

    public init(pattern: Int, isMatch: Bool, pairID: Int64) {
        self.pattern = pattern
        self.isMatch = isMatch
        self.pairID = pairID
    }
}

/// The outcome of a re-estimation's model choice.
public struct ModelSelection: Sendable {
    public var chosen: ModelKind
    /// Why this one: a sentence for the report.
    public var reason: String
    /// The independent model fitted on every verdict (what the export writes).
    public var independent: EstimationResult
    /// The correction fitted on every verdict, when there were verdicts of both classes.
    public var correction: InteractionCorrection?
    /// Mean held-out log-loss (nats per verdict) of each model, from cross-validation; empty
    /// when there were too few verdicts to cross-validate.
    public var heldOutLogLoss: [ModelKind: Double]
    public var folds: Int

    /// What scores the queue.
    public func scorer(imported: FellegiSunterModel) -> any PatternScoring {
        switch chosen {
        case .imported: imported
        case .independent: independent.model
        case .dependent: correction.map { CorrectedModel(base: independent.model, correction: $0) } ?? independent.model
        }
    }

    /// Verdicts needed (match and non-match together, both present) before models are compared
    /// on held-out verdicts; with fewer, `auto` keeps the imported model.
    public static let minimumVerdicts = 20
    public static let folds = 5

    /// Fits the independent model and, given verdicts, the correction; picks what `request` asks.
    ///
    /// - Parameters:
    ///   - imported: the model the queue was imported with (the never-worse reference).
    ///   - start: where EM starts (the current model's m, u and λ).
    ///   - tallies: every pattern with its labelled and unlabelled pairs.
    ///   - labelled: the match and non-match verdicts, one per pair, on those tallies.
    public static func run(imported: FellegiSunterModel, start: FellegiSunterModel, tallies: [PatternTally],
                           labelled: [LabelledPair], request: ModelRequest, options: EstimationOptions = .init(),
                           settings: InteractionCorrection.Settings = .init()) -> ModelSelection {
        let independent = ExpectationMaximisation.estimate(start: start, tallies: tallies, options: options)
        let matches = labelled.filter(\.isMatch).count
        let hasBothClasses = matches > 0 && matches < labelled.count
        let correction = hasBothClasses
            ? InteractionCorrection.fit(base: independent.model, labelled: labelledPatterns(tallies, labelled), settings: settings)
            : nil
        var selection = ModelSelection(chosen: .independent, reason: "", independent: independent, correction: correction,
                                       heldOutLogLoss: [:], folds: 0)
        switch request {
        case .independent:
            selection.reason = "asked for the independent model"
            return selection
        case .dependent:
            selection.chosen = correction == nil ? .independent : .dependent
            selection.reason = correction == nil ? "asked for the corrected model, but verdicts of both classes are needed: independent"
                                                 : "asked for the corrected model"
            return selection
        case .auto:
            guard labelled.count >= minimumVerdicts, hasBothClasses else {
                selection.chosen = .imported
                selection.reason = "\(labelled.count) match/non-match verdicts (fewer than \(minimumVerdicts), or one class only): too few to show another model predicts better, so the imported model stays"
                return selection
            }
            let losses = crossValidate(imported: imported, start: independent.model, tallies: tallies,
                                       labelled: labelled, options: options, settings: settings)
            selection.heldOutLogLoss = losses.mapValues { $0.reduce(0, +) / Double(max($0.count, 1)) }
            selection.folds = folds
            // Never worse: a fitted model replaces the imported one only when it predicts the
            // held-out verdicts better by more than twice the standard error of the paired
            // difference; among those that do, the lowest loss wins.
            let reference = losses[.imported] ?? []
            let better = [ModelKind.independent, .dependent].filter { kind in
                guard let candidate = losses[kind], candidate.count == reference.count, candidate.count > 1 else { return false }
                let differences = zip(reference, candidate).map { $0 - $1 }
                let mean = differences.reduce(0, +) / Double(differences.count)
                let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(differences.count - 1)
                return mean > 2 * (variance / Double(differences.count)).squareRoot()
            }
            if let best = better.min(by: { selection.heldOutLogLoss[$0]! < selection.heldOutLogLoss[$1]! }) {
                selection.chosen = best
                selection.reason = "best held-out log-loss over \(folds)-fold cross-validation on \(labelled.count) verdicts, better than the imported model's by more than two standard errors"
            } else {
                selection.chosen = .imported
                selection.reason = "no fitted model predicts the \(labelled.count) held-out verdicts better than the imported model by more than two standard errors, so it stays"
            }
            return selection
        }
    }

    /// Labelled pairs summed per pattern.
    static func labelledPatterns(_ tallies: [PatternTally], _ labelled: [LabelledPair]) -> [LabelledPattern] {
        var byPattern: [Int: LabelledPattern] = [:]
        for pair in labelled {
            var entry = byPattern[pair.pattern] ?? LabelledPattern(gammas: tallies[pair.pattern].gammas, matches: 0, nonMatches: 0)
            if pair.isMatch { entry.matches += 1 } else { entry.nonMatches += 1 }
            byPattern[pair.pattern] = entry
        }
        return byPattern.keys.sorted().map { byPattern[$0]! }
    }

    /// The fold of a verdict: by its pair, so a pair's verdict is always held out together.
    static func fold(_ pairID: Int64) -> Int {
        var x = UInt64(bitPattern: pairID) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        return Int(x % UInt64(folds))
    }

    /// The log-loss of each held-out verdict under each model, refitted without its fold;
    /// the same verdicts in the same order for every model.
    static func crossValidate(imported: FellegiSunterModel, start: FellegiSunterModel, tallies: [PatternTally],
                              labelled: [LabelledPair], options: EstimationOptions,
                              settings: InteractionCorrection.Settings) -> [ModelKind: [Double]] {
        var loss: [ModelKind: [Double]] = [:]
        func add(_ kind: ModelKind, _ probability: Double, _ isMatch: Bool) {
            let p = min(max(probability, 1e-6), 1 - 1e-6)
            loss[kind, default: []].append(isMatch ? -log(p) : -log1p(-p))
        }
        var warm = options
        warm.maxIterations = min(options.maxIterations, 50)
        for f in 0..<folds {
            let heldOut = labelled.filter { fold($0.pairID) == f }
            guard !heldOut.isEmpty else { continue }
            let training = labelled.filter { fold($0.pairID) != f }
            var foldTallies = tallies
            for pair in heldOut {
                foldTallies[pair.pattern].unlabelled += 1
                if pair.isMatch { foldTallies[pair.pattern].matches -= 1 } else { foldTallies[pair.pattern].nonMatches -= 1 }
            }
            let base = ExpectationMaximisation.estimate(start: start, tallies: foldTallies, options: warm).model
            let trainingMatches = training.filter(\.isMatch).count
            let corrected: (any PatternScoring)? = trainingMatches > 0 && trainingMatches < training.count
                ? CorrectedModel(base: base, correction: InteractionCorrection.fit(
                    base: base, labelled: labelledPatterns(tallies, training), settings: settings))
                : nil
            for pair in heldOut {
                let gammas = tallies[pair.pattern].gammas
                add(.imported, imported.score(gammas: gammas).matchProbability, pair.isMatch)
                add(.independent, base.score(gammas: gammas).matchProbability, pair.isMatch)
                add(.dependent, (corrected ?? base).score(gammas: gammas).matchProbability, pair.isMatch)
            }
        }
        return loss
    }
}
