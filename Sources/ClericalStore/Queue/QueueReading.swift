import GRDB

/// Reading a queue's tables on either backend with one text of SQL: the reports a supervisor
/// or quality lead reads (status, the team's figures, linkage quality) are written once, over
/// this, and run on a queue file (GRDB's `Database`) and on a PostgreSQL schema
/// (`PostgresLink`). Their SQL keeps to what both dialects read alike: `?` placeholders bound
/// in order, no SQLite-only casts or keywords.
package protocol QueueReading {
    /// The rows of `sql`, its `?` placeholders bound to `arguments` in order.
    func queueRows(_ sql: String, _ arguments: [TableValue]) throws -> [QueueRow]
    /// The same for a statement run again and again (the review screen's reads): a server
    /// prepares it once. Its parameters stand where their types are plain from the SQL.
    func queuePreparedRows(_ sql: String, _ arguments: [TableValue]) throws -> [QueueRow]
}

extension QueueReading {
    package func queuePreparedRows(_ sql: String, _ arguments: [TableValue]) throws -> [QueueRow] { try queueRows(sql, arguments) }
}

/// Writing a queue's tables on either backend with one text of SQL, inside the caller's
/// transaction: what a supervisor changes (reviewers, reservations, claims handed back) is
/// written once, over this, for a file and for a server.
package protocol QueueWriting: QueueReading {
    func queueExecute(_ sql: String, _ arguments: [TableValue]) throws
}

extension QueueReading {
    func queueRows(_ sql: String) throws -> [QueueRow] { try queueRows(sql, []) }

    func queueRow(_ sql: String, _ arguments: [TableValue] = []) throws -> QueueRow? { try queueRows(sql, arguments).first }
}

/// One row read through `QueueReading`, its columns by name. A NULL reads as 0 or "" from the
/// plain getters; the optional ones tell it apart.
package struct QueueRow {
    let columns: [String: Int]
    let values: [TableValue]

    package init(columns: [String: Int], values: [TableValue]) {
        self.columns = columns
        self.values = values
    }

    package subscript(_ column: String) -> TableValue {
        columns[column].map { values[$0] } ?? .null
    }

    package func optionalInt64(_ column: String) -> Int64? { self[column].integer }
    package func optionalDouble(_ column: String) -> Double? { self[column].real }
    package func optionalText(_ column: String) -> String? { self[column].text }

    package func int64(_ column: String) -> Int64 { optionalInt64(column) ?? 0 }
    package func int(_ column: String) -> Int { Int(int64(column)) }
    package func optionalInt(_ column: String) -> Int? { optionalInt64(column).map(Int.init) }
    package func double(_ column: String) -> Double { optionalDouble(column) ?? 0 }
    package func text(_ column: String) -> String { optionalText(column) ?? "" }
    package func bool(_ column: String) -> Bool { int64(column) != 0 }
}

/// A value read as SQLite would give it in each type (a `sum` on a server comes back as
/// `numeric`, a count as text in some drivers): nil for NULL or text that is not a number.
extension TableValue {
    package var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): Int64(value)
        case .text(let value): Int64(value)
        case .null: nil
        }
    }

    package var real: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .real(let value): value
        case .text(let value): Double(value)
        case .null: nil
        }
    }

    package var text: String? {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .real(let value): "\(value)"
        case .null: nil
        }
    }
}

extension Database: QueueWriting {
    package func queueExecute(_ sql: String, _ arguments: [TableValue]) throws {
        try execute(sql: sql, arguments: Self.bound(arguments))
    }

    static func bound(_ arguments: [TableValue]) -> StatementArguments {
        StatementArguments(arguments.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: return nil
            case .integer(let number): return number
            case .real(let number): return number
            case .text(let text): return text
            }
        })
    }

    package func queueRows(_ sql: String, _ arguments: [TableValue]) throws -> [QueueRow] {
        let statement = try cachedStatement(sql: sql)
        let bound = Self.bound(arguments)
        var columns: [String: Int] = [:]
        for (index, name) in statement.columnNames.enumerated() where columns[name] == nil { columns[name] = index }
        var rows: [QueueRow] = []
        let cursor = try Row.fetchCursor(statement, arguments: bound)
        while let row = try cursor.next() {
            var values: [TableValue] = []
            values.reserveCapacity(row.count)
            for value in row.databaseValues {
                switch value.storage {
                case .null, .blob: values.append(.null)
                case .int64(let number): values.append(.integer(number))
                case .double(let number): values.append(.real(number))
                case .string(let text): values.append(.text(text))
                }
            }
            rows.append(QueueRow(columns: columns, values: values))
        }
        return rows
    }
}
