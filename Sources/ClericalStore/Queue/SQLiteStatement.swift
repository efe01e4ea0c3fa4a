import GRDB
import GRDBSQLite

/// A prepared statement bound and read through the SQLite C API: the import's hot loop runs
/// a few million of these, and the review screen a dozen per keypress, where GRDB's
/// per-statement bookkeeping would cost more than the SQL.
package struct RawStatement: QueryStatement {
    let handle: OpaquePointer
    let connection: OpaquePointer

    package init(_ db: Database, sql: String) throws {
        let statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
        connection = db.sqliteConnection!
        // GRDB keeps ownership of the statement; it lives as long as the Database.
        retained = statement
    }

    private let retained: Statement

    @inline(__always) package func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    @inline(__always) func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    @inline(__always) func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    /// Binds text that must stay valid until `step()`: SQLite does not copy it.
    @inline(__always) func bind(_ index: Int32, borrowing bytes: UnsafeBufferPointer<UInt8>) {
        let pointer = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            .assumingMemoryBound(to: CChar.self)
        sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), nil)
    }

    /// Binds text that SQLite copies.
    func bind(_ index: Int32, copying text: String) {
        var text = text
        text.withUTF8 { bytes in
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            let pointer = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                .assumingMemoryBound(to: CChar.self)
            sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), transient)
        }
    }

    /// Runs the statement to completion; returns the first column of a returned row, if any.
    @discardableResult
    func step() throws -> Int64? {
        defer { sqlite3_reset(handle) }
        var result: Int64? = nil
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW {
            if result == nil { result = sqlite3_column_int64(handle, 0) }
            code = sqlite3_step(handle)
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                message: String(cString: sqlite3_errmsg(connection)))
        }
        return result
    }

    package func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, copying: text) } else { bindNull(index) }
    }

    func bind(_ index: Int32, _ value: Double?) {
        if let value { bind(index, value) } else { bindNull(index) }
    }

    /// Runs a query and reads its first row, if any.
    package func first<T>(_ read: (RawRow) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return try read(RawRow(handle: handle)) }
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
        return nil
    }

    /// Runs a query and reads every row.
    package func each(_ read: (RawRow) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW {
            try read(RawRow(handle: handle))
            code = sqlite3_step(handle)
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
    }

    var changes: Int32 { sqlite3_changes(connection) }
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(connection) }
}

/// The current row of a `RawStatement`.
package struct RawRow: QueryRow {
    let handle: OpaquePointer

    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    package func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    package func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}
