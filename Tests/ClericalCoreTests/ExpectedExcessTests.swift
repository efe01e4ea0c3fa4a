@testable import ClericalCore
import XCTest

/// What more verdicts on a pattern could still gain, and the review order it gives.
final class ExpectedExcessTests: XCTestCase {
    /// Against SciPy (`scipy.integrate.quad` of (1 − 2θ)·Beta(θ; p·w, (1 − p)·w) over [0, ½]):
    /// one pair at 0.5 with the weight of one loses 1/π.
    func testShareMatchesNumericalIntegration() {
        for (probability, weight, expected) in [(0.5, 1.0, 1 / Double.pi), (0.8, 1, 0.08570255347359557),
                                                (0.9, 1, 0.036554544245442695), (0.3, 8, 0.019399315193146676),
                                                (0.001, 1, 0.0003074168313817838), (0.958, 3, 0.0025343154173797498)] {
            XCTAssertEqual(ExpectedExcess.share(probability: probability, weight: weight), expected, accuracy: 1e-9,
                           "p \(probability), weight \(weight)")
        }
        // Deciding a non-match at p is deciding a match at 1 − p.
        XCTAssertEqual(ExpectedExcess.share(probability: 0.2, weight: 1), ExpectedExcess.share(probability: 0.8, weight: 1), accuracy: 1e-12)
        XCTAssertEqual(ExpectedExcess.regularizedIncompleteBeta(0.5, 0.3, 2.5), 0.958761646083984, accuracy: 1e-9)
        XCTAssertEqual(ExpectedExcess.regularizedIncompleteBeta(0.5, 4.0, 0.04), 0.0011144939658999646, accuracy: 1e-9)
    }

    /// The gain maps back onto a single pair's distance from 0.5, and past a pair at 0.5 it
    /// comes 0.05 sooner for each doubling.
    func testGainTakesASinglePairsPlace() {
        for distance in [0.0, 0.05, 0.2, 0.3, 0.45] {
            let gain = ExpectedExcess.share(probability: 0.5 + distance, weight: 1)
            XCTAssertEqual(ExpectedExcess.singlePairDistance(equivalentTo: gain), distance, accuracy: 1e-3)
        }
        XCTAssertEqual(ExpectedExcess.singlePairDistance(equivalentTo: 4 / Double.pi), -0.1, accuracy: 1e-12)
        XCTAssertEqual(ExpectedExcess.singlePairDistance(equivalentTo: 0), .infinity)
    }

    func testPatternsComeSoonerForWhatTheirVerdictsCouldStillGain() {
        // An unreviewed single pair keeps its plain place.
        XCTAssertEqual(ReviewPriority.of(probability: 0.8, verdicts: 0, openPairs: 1, rankInPattern: 0),
                       ReviewPriority.of(probability: 0.8, rankInPattern: 0), accuracy: 1e-3)
        // Twenty-one pairs no verdict has reached, at 0.9, come before a single pair at 0.5.
        XCTAssertLessThan(ReviewPriority.of(probability: 0.9, verdicts: 0, openPairs: 21, rankInPattern: 0), 0)
        // Three pairs at 0.9 are worth less than one pair at 0.6, and more than one at 0.9.
        let three = ReviewPriority.of(probability: 0.9, verdicts: 0, openPairs: 3, rankInPattern: 0)
        XCTAssertGreaterThan(three, 0.1)
        XCTAssertLessThan(three, 0.4)
        // A pattern two models decide each their own way is believed at their mean: a full
        // overturn of 500 pairs comes before a single pair at 0.5, one pair of it as such a pair.
        XCTAssertLessThan(ReviewPriority.of(probability: 0.99, overturning: 0.01, openPairs: 500), 0)
        XCTAssertEqual(ReviewPriority.of(probability: 0.99, overturning: 0.01, openPairs: 1), 0, accuracy: 1e-3)
        // A hundred and twelve pairs that seven verdicts put at 0.3 come before a pair at 0.5.
        XCTAssertLessThan(ReviewPriority.of(probability: 0.3, verdicts: 7, openPairs: 112, rankInPattern: 7), 0)
        // Verdicts that agree settle a pattern whatever its size: 9,000 pairs at 0.98 after
        // twenty verdicts come after a single pair at 0.999.
        XCTAssertGreaterThan(ReviewPriority.of(probability: 0.98, verdicts: 20, openPairs: 9_000, rankInPattern: 20),
                             ReviewPriority.of(probability: 0.999, rankInPattern: 0))
        // Never later than the plain order, and a pattern with nothing left to decide keeps it.
        XCTAssertEqual(ReviewPriority.of(probability: 0.7, verdicts: 3, openPairs: 0, rankInPattern: 3),
                       ReviewPriority.of(probability: 0.7, rankInPattern: 3))
    }
}
