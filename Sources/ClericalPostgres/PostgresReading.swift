import ClericalCore
import ClericalStore
import Foundation
import PostgresNIO

/// The reports' SQL (`QueueReading`) run on the server: `?` placeholders become `$1…`, and each
/// cell is read as the integer, real or text SQLite would have given (a `sum` comes back as
/// `numeric`, a flag test as `boolean`).
extension PostgresLink: QueueWriting {
    package func queueExecute(_ sql: String, _ arguments: [TableValue]) throws {
        _ = try queueRows(sql, arguments)
    }

    package func queueRows(_ sql: String, _ arguments: [TableValue]) throws -> [QueueRow] {
        var binds = PostgresBindings()
        for argument in arguments {
            switch argument {
            case .null: binds.append(String?.none)
            case .integer(let number): binds.append(number)
            case .real(let number): binds.append(number)
            case .text(let text): binds.append(text)
            }
        }
        return try Self.queueRows(try rows(Self.numberedPlaceholders(sql), binds))
    }

    /// The review screen's reads, each statement prepared once on this connection.
    package func queuePreparedRows(_ sql: String, _ arguments: [TableValue]) throws -> [QueueRow] {
        try Self.queueRows(try preparedRows(Self.numberedPlaceholders(sql), arguments))
    }

    private static func queueRows(_ found: [PostgresRow]) throws -> [QueueRow] {
        guard let first = found.first else { return [] }
        var columns: [String: Int] = [:]
        for (index, cell) in first.makeRandomAccess().enumerated() where columns[cell.columnName] == nil {
            columns[cell.columnName] = index
        }
        return try found.map { row in
            QueueRow(columns: columns, values: try row.makeRandomAccess().map(Self.value))
        }
    }

    /// `?` outside quoted text, numbered in order.
    static func numberedPlaceholders(_ sql: String) -> String {
        var numbered = "", quoted = false, next = 0
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?" && !quoted {
                next += 1
                numbered += "$\(next)"
            } else {
                numbered.append(character)
            }
        }
        return numbered
    }

    private static func value(_ cell: PostgresCell) throws(ClericalError) -> TableValue {
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return try cell.decode(Int64?.self).map(TableValue.integer) ?? .null
            case .float4, .float8: return try cell.decode(Double?.self).map(TableValue.real) ?? .null
            case .bool: return try cell.decode(Bool?.self).map { .integer($0 ? 1 : 0) } ?? .null
            case .numeric:
                // Binary on the wire: read as a Decimal (a String would be its raw bytes).
                guard let number = try cell.decode(Decimal?.self) else { return .null }
                let text = "\(number)"
                if let whole = Int64(text) { return .integer(whole) }
                return Double(text).map(TableValue.real) ?? .text(text)
            default: return try cell.decode(String?.self).map(TableValue.text) ?? .null
            }
        } catch {
            throw ClericalError(.dataError, "\(cell.columnName) does not read: \(error)")
        }
    }
}

extension PostgresQueue {
    /// The queue's status as `clerical status` gives it for a file (the team's figures and
    /// linkage quality with it), read in one snapshot of the schema by the same code.
    package func status(now: Date = Date()) throws(ClericalError) -> QueueStatus {
        try require(.readStatus)
        try link.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? link.run("COMMIT") }
        return try withStore { link throws in try QueueStatus.whole(link, path: "\(address)", now: now) }
    }
}

extension PostgresQueue {
    /// `clerical reestimate URL`, as on a file: the pattern tallies and verdicts read in one
    /// read-only snapshot, the EM run with no transaction open, and the new model version and
    /// every pattern's score written in one transaction (the scores a few statements of many
    /// patterns each). A quality lead's role is granted what that writes.
    package func reestimate(_ request: ReestimationRequest) throws(ClericalError) -> ReestimationReport {
        try require(.reestimate)
        let started = ContinuousClock.now
        try link.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let snapshot: Reestimation.Snapshot
        do {
            snapshot = try withStore { link throws in try Reestimation.snapshot(link) }
            try link.run("COMMIT")
        } catch {
            try? link.run("ROLLBACK")
            throw error
        }
        let estimate = Reestimation.estimate(snapshot, request: request)
        return try link.transaction { () throws(ClericalError) in
            try withStore { link throws in try Reestimation.store(link, estimate, snapshot: snapshot, request: request, started: started) }
        }
    }
}

extension PostgresQueue {
    /// Verdicts given since the current model was estimated: what `reestimate URL --every N`,
    /// run by someone who may re-estimate, watches.
    package func verdictsSinceModel() throws(ClericalError) -> Int {
        try withStore { link throws in try Reestimation.verdictsSinceModel(link) }
    }

    /// `clerical import-labels URL LABELS.csv`, as on a file (`LabelImport`), in one
    /// transaction: the decisions join the chain under its lock (`append_decision`'s), taken
    /// once every pair is marked, and a bad row leaves the queue as it was.
    package func importLabels(_ labelsPath: String, reviewer: String?) throws(ClericalError) -> (summary: LabelImportSummary, reviewer: String) {
        try require(.importLabels)
        let name: String
        if let reviewer { name = reviewer } else { name = try account() }
        let summary = try link.transaction { () throws(ClericalError) in
            try withStore { link throws in
                try LabelImport.read(labels: labelsPath, into: link, reviewer: name) {
                    try link.run("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.decision'))")
                }
            }
        }
        return (summary, name)
    }
}
