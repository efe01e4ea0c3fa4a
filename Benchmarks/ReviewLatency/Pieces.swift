import ClericalStore
import ClericalTUI
import Foundation
import GRDB

/// `CLERICAL_BENCH_PIECES=1`: each hand-rolled piece of the keypress path against what the
/// library already does, in µs per call (the median of 21 rounds), on the benchmark's queue.
/// The figures are quoted beside each piece in the sources.
enum HandRolledPieces {
    static func measure(queue path: String) throws {
        func perCall(_ calls: Int, _ body: () throws -> Void) rethrows -> Double {
            var rounds: [Double] = []
            for _ in 0..<21 {
                let start = DispatchTime.now()
                for _ in 0..<calls { try body() }
                rounds.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1000 / Double(calls))
            }
            return rounds.sorted()[10]
        }
        func report(_ piece: String, _ ours: Double, _ library: Double, _ alternative: String) {
            print(String(format: "%@: %.2f µs per call; %@ %.2f µs (%.1f×)", piece, ours, alternative, library, library / ours))
        }

        // Timestamps: one per verdict.
        let date = Date()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        report("Timestamp.string", perCall(2_000) { _ = Timestamp.string(date) },
               perCall(2_000) { _ = formatter.string(from: date) }, "ISO8601DateFormatter")

        let database = try DatabaseQueue(path: path)
        defer { try? database.close() }
        try database.read { db in
            // Record values: two records per pair drawn.
            let json = try String.fetchOne(db, sql: "SELECT field_values FROM record ORDER BY id LIMIT 1") ?? "[]"
            report("RecordValues.parse", perCall(2_000) { _ = RecordValues.parse(json) },
                   perCall(2_000) { _ = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] }, "JSONSerialization")

            // Prepared statements: a dozen per keypress.
            let sql = "SELECT state FROM pair WHERE id = ?"
            let cached = try RawStatement(db, sql: sql)
            var id: Int64 = 0
            let ours = try perCall(5_000) {
                id = id % 1000 + 1
                cached.bind(1, id)
                _ = try cached.first { $0.text(0) }
            }
            let grdbCached = try perCall(5_000) {
                id = id % 1000 + 1
                _ = try String.fetchOne(db.cachedStatement(sql: sql), arguments: [id])
            }
            let prepared = try perCall(5_000) {
                id = id % 1000 + 1
                _ = try String.fetchOne(db, sql: sql, arguments: [id])
            }
            report("RawStatement, cached", ours, grdbCached, "GRDB cachedStatement")
            report("RawStatement, cached", ours, prepared, "GRDB fetchOne(sql:), prepared each time")
        }

        // Level labels: a dozen per frame.
        let label = "Jaro-Winkler distance of first_name >= 0.92"
        report("ReviewView.mathematicalComparisons", perCall(5_000) { _ = ReviewView.mathematicalComparisons(label) },
               perCall(5_000) { _ = label.replacingOccurrences(of: ">=", with: "≥").replacingOccurrences(of: "<=", with: "≤") },
               "String.replacingOccurrences")
    }
}
