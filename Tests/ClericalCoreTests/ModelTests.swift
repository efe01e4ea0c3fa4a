@testable import ClericalCore
import Foundation
import XCTest

final class ModelTests: XCTestCase {
    func testMatchWeightAndProbabilityAreInverse() {
        for weight in [-40.0, -3.5, 0, 0.25, 7, 40] {
            XCTAssertEqual(MatchWeight.weight(probability: MatchWeight.probability(weight)), weight, accuracy: 1e-6)
        }
        XCTAssertEqual(MatchWeight.probability(0), 0.5)
        XCTAssertEqual(MatchWeight.probability(2000), 1)
        XCTAssertEqual(MatchWeight.probability(-2000), 0)
    }

    func testScoreIsPriorPlusLevelWeightsAndNullAddsNothing() {
        let comparison = Comparison(name: "name", levels: [
            ComparisonLevel(gamma: -1, label: "null", isNull: true),
            ComparisonLevel(gamma: 1, label: "exact", isNull: false),
            ComparisonLevel(gamma: 0, label: "else", isNull: false),
        ])
        let model = FellegiSunterModel(comparisons: [comparison, comparison], lambda: 0.2, parameters: [
            [.null, LevelParameters(m: 0.9, u: 0.1), LevelParameters(m: 0.1, u: 0.9)],
            [.null, LevelParameters(m: 0.8, u: 0.2), LevelParameters(m: 0.2, u: 0.8)],
        ])
        XCTAssertEqual(model.priorWeight, log2(0.25), accuracy: 1e-12)
        XCTAssertEqual(model.score(gammas: [1, 0]).matchWeight, log2(0.25) + log2(9) + log2(0.25), accuracy: 1e-12)
        XCTAssertEqual(model.score(gammas: [-1, -1]).matchWeight, log2(0.25), accuracy: 1e-12)
    }

    func testReviewBandParsing() throws {
        XCTAssertEqual(try ReviewBand.parse(probability: "0.1:0.9"), .probability(low: 0.1, high: 0.9))
        XCTAssertEqual(try ReviewBand.parse(weight: "-5:5"), .weight(low: -5, high: 5))
        for bad in ["0.9:0.1", "a:b", "0.5", "-0.1:0.5", "0.2:1.5", ":"] {
            XCTAssertThrowsError(try ReviewBand.parse(probability: bad), bad) { error in
                XCTAssertEqual((error as? ClericalError)?.status, .usage)
            }
        }
        XCTAssertTrue(ReviewBand.default.contains(matchWeight: 0, matchProbability: 0.05))
        XCTAssertFalse(ReviewBand.default.contains(matchWeight: 0, matchProbability: 0.96))
    }

    func testSplinkModelGammaCodingCountsDownToElse() throws {
        let json = """
            {"link_type": "dedupe_only", "probability_two_random_records_match": 0.01, "custom_key": {"kept": true},
             "comparisons": [{"output_column_name": "dob", "comparison_description": "Levenshtein",
               "comparison_levels": [
                 {"label_for_charts": "null", "is_null_level": true, "sql_condition": "x IS NULL"},
                 {"label_for_charts": "exact", "m_probability": 0.9, "u_probability": 0.01},
                 {"label_for_charts": "close", "m_probability": 0.07, "u_probability": 0.09},
                 {"label_for_charts": "else", "m_probability": 0.03, "u_probability": 0.9}]}]}
            """
        let model = try SplinkModel(json: Data(json.utf8), file: "m.json")
        XCTAssertEqual(model.comparisons[0].levels.map(\.gamma), [-1, 2, 1, 0])
        XCTAssertEqual(model.comparisons[0].levels.map(\.label), ["null", "exact", "close", "else"])
        XCTAssertEqual(model.fellegiSunter.parameters(comparison: 0, gamma: 2)?.weight ?? 0, log2(90), accuracy: 1e-12)
        XCTAssertEqual(model.json, json, "kept verbatim")
    }

    func testSplinkModelErrorsNameTheFile() {
        let cases: [(String, String)] = [
            ("[1, 2]", "top level is not an object"),
            ("{\"comparisons\": []}", "probability_two_random_records_match"),
            ("{\"probability_two_random_records_match\": 0.1}", "no \"comparisons\" list"),
            ("{\"probability_two_random_records_match\": 2, \"comparisons\": [{}]}", "strictly between 0 and 1"),
            ("{\"probability_two_random_records_match\": 0.1, \"comparisons\": [{\"output_column_name\": \"a\", \"comparison_levels\": [{\"label_for_charts\": \"x\"}]}]}",
             "has no numeric m_probability"),
            ("not json", "not valid JSON"),
        ]
        for (json, phrase) in cases {
            XCTAssertThrowsError(try SplinkModel(json: Data(json.utf8), file: "model.json"), json) { error in
                let error = error as! ClericalError
                XCTAssertEqual(error.status, .dataError)
                XCTAssertTrue(error.description.hasPrefix("model.json: "), error.description)
                XCTAssertTrue(error.description.contains(phrase), "\(phrase) not in \(error.description)")
            }
        }
    }

    func testStringDistances() {
        XCTAssertEqual(StringDistance.levenshtein("kitten", "sitting"), 3)
        XCTAssertEqual(StringDistance.levenshtein("Zoë", "Zoe"), 1)
        XCTAssertEqual(StringDistance.levenshtein("王秀英", "王秀"), 1)
        XCTAssertEqual(StringDistance.levenshtein("", "abc"), 3)
        // Textbook values: MARTHA/MARHTA 0.961, DIXON/DICKSONX 0.813, DWAYNE/DUANE 0.84.
        XCTAssertEqual(StringDistance.jaroWinkler("MARTHA", "MARHTA"), 0.961, accuracy: 0.001)
        XCTAssertEqual(StringDistance.jaroWinkler("DIXON", "DICKSONX"), 0.813, accuracy: 0.001)
        XCTAssertEqual(StringDistance.jaroWinkler("DWAYNE", "DUANE"), 0.84, accuracy: 0.001)
        XCTAssertEqual(StringDistance.jaroWinkler("same", "same"), 1)
        XCTAssertEqual(StringDistance.jaroWinkler("abc", "xyz"), 0)
    }
}
