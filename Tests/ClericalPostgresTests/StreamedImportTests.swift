import ClericalCore
@testable import ClericalPostgres
@testable import ClericalStore
import Foundation
import XCTest

/// A new queue's records and pairs reach the server as pages of `COPY` text (`PostgresRowStream`),
/// two megabytes each, so a test file fits in one. Sent a few kilobytes at a time, page after
/// page and the two tables interleaved, the queue is the same row for row.
final class StreamedImportTests: XCTestCase {
    func testRowsSentInManySmallPagesMakeTheSameQueue() throws {
        let server = try postgresTestServer()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ClericalStoreTests/Fixtures/splink5-febrl3")
        let predictions = fixture.appendingPathComponent("predictions.csv").path, model = fixture.appendingPathComponent("model.json").path
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let paged = "clerical_paged_\(suffix)", whole = "clerical_whole_\(suffix)"
        let link = try PostgresLink.open(try PostgresAddress(url: url(server, schema: paged)))
        defer {
            try? link.run("DROP SCHEMA IF EXISTS \(paged) CASCADE")
            try? link.run("DROP SCHEMA IF EXISTS \(whole) CASCADE")
            link.close()
        }
        let small = try PostgresImport.run(try PostgresAddress(url: url(server, schema: paged)), predictions: predictions,
                                           model: model, band: nil, progress: nil, pageBytes: 4096)
        let one = try PostgresImport.run(try PostgresAddress(url: url(server, schema: whole)), predictions: predictions, model: model)
        XCTAssertEqual(small, one)

        // Many pages of each table, so the pages and the switches between tables are exercised.
        let recordBytes = try PostgresQueue.decode(try XCTUnwrap(link.rows(
            "SELECT sum(octet_length(unique_id) + octet_length(field_values))::bigint FROM \(whole).record").first), 0, as: Int64.self)
        XCTAssertGreaterThan(recordBytes, 40 * 4096)
        XCTAssertLessThan(recordBytes, Int64(PostgresRowStream.defaultPageBytes), "one page each at the default size")
        for (table, columns) in [("record", "id, source_dataset, unique_id, field_values"),
                                 ("pair", "id, left_record_id, right_record_id, pattern_id, imported_match_weight, imported_match_probability, match_key, import_batch_id, state")] {
            let digest = { (schema: String) throws -> String in
                try PostgresQueue.text(try XCTUnwrap(link.rows("""
                    SELECT count(*)::text || ':' || md5(string_agg(concat_ws('|', \(columns)), ',' ORDER BY id)) FROM \(schema).\(table)
                    """).first), 0)
            }
            XCTAssertEqual(try digest(paged), try digest(whole), table)
        }
        let queue = try PostgresQueue.open(try PostgresAddress(url: url(server, schema: paged)))
        defer { queue.close() }
        let verified = try PostgresVerification.run(queue)
        XCTAssertTrue(verified.isSound, "\(verified)")
    }
}
