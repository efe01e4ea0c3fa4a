import ClericalCore
import ClericalStore
import Foundation
import PostgresNIO

/// A PostgreSQL queue's side of `clerical copy`: its tables read a page at a time, or written
/// with `COPY … FROM STDIN` (`QueueTable` says which tables, columns and order).
enum PostgresQueueTables {
    /// Reads one table a page at a time. The caller holds the transaction (`snapshot`), so
    /// that every table is read from the same moment.
    static func read(_ link: PostgresLink, table: QueueTable, _ page: ([[TableValue]]) throws -> Void) throws {
        var after = Int64.min
        while true {
            var binds = PostgresBindings()
            let sql: String
            if let key = table.pageKey {
                binds.append(after)
                sql = "SELECT \(table.columnList) FROM \(table.name) WHERE \(key) > $1 ORDER BY \(key) LIMIT \(SQLiteQueueTables.pageRows)"
            } else {
                sql = "SELECT \(table.columnList) FROM \(table.name)"
            }
            let rows = try link.rows(sql, binds).map { row throws(ClericalError) in try values(row, table) }
            try page(rows)
            guard let last = table.nextPage(after: rows) else { break }
            after = last
        }
    }

    /// The rows of one table that `condition` picks (SQL over its columns, with `binds`), at once.
    static func rows(_ link: PostgresLink, of table: QueueTable, where condition: String,
                     _ binds: PostgresBindings) throws(ClericalError) -> [[TableValue]] {
        try link.rows("SELECT \(table.columnList) FROM \(table.name) WHERE \(condition)", binds)
            .map { row throws(ClericalError) in try values(row, table) }
    }

    /// Runs `body` in a repeatable-read, read-only transaction: one snapshot of the queue while
    /// reviewers go on working.
    static func snapshot<T>(_ link: PostgresLink, unless inTransaction: Bool = false, _ body: () throws -> T) throws -> T {
        if inTransaction { return try body() }
        try link.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? link.run("ROLLBACK") }
        return try body()
    }

    /// Writes one table's rows (a page of them) with one `COPY`.
    static func write(_ link: PostgresLink, table: QueueTable, rows: [[TableValue]]) throws(ClericalError) {
        guard !rows.isEmpty else { return }
        try link.copy(into: table.name, columns: table.columns.map(\.name), copyText(rows, table))
    }

    /// Rows in COPY's text format, one line each, columns split by tabs.
    static func copyText(_ rows: [[TableValue]], _ table: QueueTable) -> ByteBuffer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * 64)
        for row in rows {
            for (index, value) in row.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: "\t")) }
                append(value, kind: table.columns[index].kind, to: &bytes)
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        return ByteBuffer(bytes: bytes)
    }

    /// Fresh planner statistics for the queue's tables after a load (a plain `ANALYZE` would
    /// read every table of the database, other schemas' too). Best effort: the load stands
    /// without it, and autovacuum gets there in the end.
    static func analyze(_ link: PostgresLink) {
        try? link.run("ANALYZE " + (QueueTable.copied.map(\.name) + ["pattern_verdicts"]).joined(separator: ", "))
    }

    /// Working memory for a bulk load's one transaction: the index builds sort, and the key
    /// checks join, in memory rather than in batches on disk.
    static func loadInMemory(_ link: PostgresLink) throws(ClericalError) {
        try link.run("SET LOCAL maintenance_work_mem = '256MB'")
        try link.run("SET LOCAL work_mem = '256MB'")
    }

    /// After rows were copied in with their ids: each identity column's sequence continues
    /// after the largest id, so the next row the database numbers does not collide.
    static func advanceSequences(_ link: PostgresLink) throws(ClericalError) {
        for table in QueueTable.copied {
            guard let key = table.identity else { continue }
            try link.run("""
                SELECT setval(pg_get_serial_sequence('\(table.name)', '\(key)'), coalesce(max(\(key)), 0) + 1, false) FROM \(table.name)
                """)
        }
    }

    // MARK: - Values

    private static func values(_ row: PostgresRow, _ table: QueueTable) throws(ClericalError) -> [TableValue] {
        let cells = row.makeRandomAccess()
        var values: [TableValue] = []
        values.reserveCapacity(table.columns.count)
        for (index, column) in table.columns.enumerated() {
            do {
                switch column.kind {
                case .integer: values.append(try cells[index].decode(Int64?.self).map(TableValue.integer) ?? .null)
                case .real: values.append(try cells[index].decode(Double?.self).map(TableValue.real) ?? .null)
                case .text: values.append(try cells[index].decode(String?.self).map(TableValue.text) ?? .null)
                }
            } catch {
                throw ClericalError(.dataError, "\(table.name).\(column.name): does not read as \(column.kind): \(error)")
            }
        }
        return values
    }

    /// One value in COPY's text format: `\N` for NULL; backslash, tab, newline and carriage
    /// return escaped (ASCII bytes, which never occur inside a longer UTF-8 character); a real
    /// as Swift's shortest round-trip text, which PostgreSQL reads back to the same double.
    static func append(_ value: TableValue, kind: QueueTable.Kind, to bytes: inout [UInt8]) {
        switch value {
        case .null: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "N"))
        case .integer(let number): bytes += (kind == .real ? "\(Double(number))" : String(number)).utf8
        case .real(let number):
            bytes += (number.isNaN ? "NaN" : number.isInfinite ? (number < 0 ? "-Infinity" : "Infinity") : "\(number)").utf8
        case .text(var string):
            string.withUTF8 { appendEscaped($0, to: &bytes) }
        }
    }

    /// Text for COPY: backslash, tab, newline and carriage return escaped.
    static func appendEscaped(_ text: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        for byte in text {
            let escaped: UInt8
            switch byte {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            default: bytes.append(byte); continue
            }
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(escaped)
        }
    }
}
