/// A prepared query as the review screen's reads use it: bound by position, read row by row,
/// columns by index. On a queue file it is SQLite's own statement (`RawStatement`, prepared once
/// per connection: these run on every keypress); on a server, `ReadingStatement` over
/// `QueueReading`. So loading a pair and what surrounds it (`PairLoader`, `ContextLoader`) is
/// written once for both backends, and generic, so the file's path stays as fast as it was.
package protocol QueryStatement {
    associatedtype Row: QueryRow
    func bind(_ index: Int32, _ value: Int64)
    func bind(_ index: Int32, _ text: String?)
    /// Runs the query and reads its first row, if any.
    func first<T>(_ read: (Row) throws -> T) throws -> T?
    /// Runs the query and reads every row.
    func each(_ read: (Row) throws -> Void) throws
}

/// The current row of a `QueryStatement`; a NULL reads as 0, or nil text.
package protocol QueryRow {
    func int64(_ column: Int32) -> Int64
    func double(_ column: Int32) -> Double
    func isNull(_ column: Int32) -> Bool
    func text(_ column: Int32) -> String?
}

/// A `QueryStatement` over `QueueReading`: its `?` placeholders bound in order and run when
/// read, each read one query, of a statement the server prepares once.
package final class ReadingStatement<Reading: QueueReading>: QueryStatement {
    private let reading: Reading
    private let sql: String
    private var arguments: [TableValue] = []

    package init(_ reading: Reading, sql: String) {
        self.reading = reading
        self.sql = sql
    }

    package func bind(_ index: Int32, _ value: Int64) { set(index, .integer(value)) }
    package func bind(_ index: Int32, _ text: String?) { set(index, text.map(TableValue.text) ?? .null) }

    private func set(_ index: Int32, _ value: TableValue) {
        let position = Int(index) - 1
        while arguments.count <= position { arguments.append(.null) }
        arguments[position] = value
    }

    package func first<T>(_ read: (Row) throws -> T) throws -> T? {
        try reading.queuePreparedRows(sql, arguments).first.map { try read(Row(values: $0.values)) }
    }

    package func each(_ read: (Row) throws -> Void) throws {
        for row in try reading.queuePreparedRows(sql, arguments) { try read(Row(values: row.values)) }
    }

    package struct Row: QueryRow {
        let values: [TableValue]

        private func value(_ column: Int32) -> TableValue { Int(column) < values.count ? values[Int(column)] : .null }

        package func int64(_ column: Int32) -> Int64 { value(column).integer ?? 0 }
        package func double(_ column: Int32) -> Double { value(column).real ?? 0 }
        package func isNull(_ column: Int32) -> Bool { value(column) == .null }
        package func text(_ column: Int32) -> String? { value(column).text }
    }
}
