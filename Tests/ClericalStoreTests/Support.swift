import ClericalCore
@testable import ClericalStore
import Foundation
import GRDB
import XCTest

/// The real Splink outputs in Fixtures/ (copied from the project's shared fixtures).
enum Fixture: String, CaseIterable {
    case splink5Dedupe = "splink5-febrl3"
    case splink4Dedupe = "splink4-febrl3"
    case splink5Link = "splink5-link-small"

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    var predictions: String { Self.root.appendingPathComponent("\(rawValue)/predictions.csv").path }
    var model: String { Self.root.appendingPathComponent("\(rawValue)/model.json").path }
    /// unique_id_l,unique_id_r,is_match for every row of the predictions.
    var truth: String { Self.root.appendingPathComponent("\(rawValue)/truth.csv").path }

    /// The predictions read naively, as an independent check on the importer
    /// (these files hold no quoted fields).
    var table: NaiveTable { NaiveTable(path: predictions) }
}

struct NaiveTable {
    var header: [String]
    var rows: [[String]]

    init(path: String) {
        let lines = try! String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func column(_ name: String) -> Int { header.firstIndex(of: name)! }
    func values(_ name: String) -> [String] { let i = column(name); return rows.map { $0[i] } }
    var gammaColumns: [Int] { header.indices.filter { header[$0].hasPrefix("gamma_") } }
}

/// A fresh folder per test, removed afterwards.
func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func count(_ db: DatabaseQueue, _ sql: String, _ arguments: StatementArguments = []) throws -> Int {
    try db.read { try Int.fetchOne($0, sql: sql, arguments: arguments) ?? 0 }
}

/// Open pairs whose pattern is in the review band: pending review.
let pendingForReviewSQL = "SELECT count(*) FROM pair p JOIN pattern t ON t.id = p.pattern_id WHERE p.state = 'pending' AND t.in_band = 1"
/// Open pairs whose pattern is outside the band: decided by the model.
let decidedByModelSQL = "SELECT count(*) FROM pair p JOIN pattern t ON t.id = p.pattern_id WHERE p.state = 'pending' AND t.in_band = 0"

/// The pattern rows whose current score and the imported model's fall on opposite sides of
/// probability 0.5, each with the imported model's probability: computed here from the
/// imported model, as a check on `PatternBand.rescore`'s own rule.
func overturnedPatterns(_ db: Database) throws -> [(row: Row, importedProbability: Double)] {
    let imported = try XCTUnwrap(ModelStore.importedModel(db))
    return try Row.fetchAll(db, sql: """
        SELECT t.*, coalesce(v.matches, 0) + coalesce(v.non_matches, 0) AS verdicts
        FROM pattern t LEFT JOIN pattern_verdicts v ON v.pattern_id = t.id
        """).compactMap { row in
        let probability: Double = row["match_probability"]
        let importedProbability = imported.score(gammas: PatternKey.gammas(row["gammas"])).matchProbability
        return (probability >= 0.5) != (importedProbability >= 0.5) ? (row, importedProbability) : nil
    }
}
