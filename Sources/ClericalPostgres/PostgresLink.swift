import ClericalCore
import ClericalStore
import Dispatch
import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// One connection to the PostgreSQL server that holds a queue, with `search_path` set to the
/// queue's schema. Commands are synchronous, so each call waits for its answer; every failure
/// comes back as a `ClericalError` with the sysexits status a script can act on (`failure`).
///
///     let link = try PostgresLink.open(address)
///     defer { link.close() }
///     let rows = try link.rows("SELECT count(*) FROM pair")
package final class PostgresLink: @unchecked Sendable {
    package let address: PostgresAddress
    let connection: PostgresConnection
    let logger: Logger

    private init(address: PostgresAddress, connection: PostgresConnection, logger: Logger) {
        self.address = address
        self.connection = connection
        self.logger = logger
    }

    /// Connects and selects the queue's schema (which need not exist yet: `copy` creates it).
    package static func open(_ address: PostgresAddress) throws(ClericalError) -> PostgresLink {
        var quiet = Logger(label: "clerical.postgres")
        quiet.logLevel = .critical
        let logger = quiet
        let configuration = try Self.configuration(address)
        let connection: PostgresConnection
        do {
            connection = try blocking(within: 30) {
                try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            }
        } catch {
            throw failure(error, address: address, connecting: true)
        }
        let link = PostgresLink(address: address, connection: connection, logger: logger)
        try link.run("SET search_path TO \(address.schema)")
        return link
    }

    package func close() {
        let connection = self.connection
        try? blocking(within: 2) { try await connection.close() }
    }

    /// How long a statement may go without an answer before the connection counts as lost.
    /// (A connection the server dropped while it sat idle can leave PostgresNIO's next query
    /// waiting forever.) The review path, whose statements take milliseconds, sets less.
    package var answerSeconds = 60.0

    // MARK: - Statements

    /// Runs one statement, discarding any rows.
    package func run(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws(ClericalError) {
        _ = try rows(sql, binds)
    }

    /// Runs one statement and returns its rows.
    package func rows(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws(ClericalError) -> [PostgresRow] {
        let connection = self.connection, logger = self.logger
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        guard !connection.isClosed else {
            throw ClericalError(.unavailable, "\(address): the connection was lost")
        }
        do {
            // The future-based call, waited for on this thread: the answer wakes this thread from
            // the connection's event loop directly, without a hop through Swift's task pool (each
            // wake-up of an idle core costs a reviewer's keypress more than the statement does).
            let answer: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
            return try waiting(within: answerSeconds, for: answer).rows
        } catch {
            throw failure(error)
        }
    }

    /// Statements prepared on this connection (`PREPARE`), their names by their SQL.
    private var prepared: [String: String] = [:]

    /// Runs a statement prepared once on this connection: the review screen's reads, a handful
    /// per keypress, where planning each anew costs more than running it (on the 6,583-pair
    /// queue, 0.4–0.5 ms to plan a candidates query that runs in 0.03–0.16 ms). `PREPARE` once,
    /// then `EXECUTE` with the values written as constants (integers, reals, quoted text), which
    /// the server takes as the types it inferred when it prepared: so every parameter must
    /// stand where its type is plain from the SQL (a column compared, a LIMIT).
    package func preparedRows(_ sql: String, _ values: [TableValue]) throws(ClericalError) -> [PostgresRow] {
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "clerical_read_\(prepared.count + 1)"
            try run("PREPARE \(name) AS \(sql)")
            prepared[sql] = name
        }
        return try rows("EXECUTE \(name)" + (values.isEmpty ? "" : "(\(values.map(Self.constant).joined(separator: ", ")))"))
    }

    /// A value as an SQL constant (standard-conforming strings: only the quote is doubled).
    private static func constant(_ value: TableValue) -> String {
        switch value {
        case .null: return "NULL"
        case .integer(let number): return String(number)
        case .real(let number): return number.isFinite ? "\(number)" : (number.isNaN ? "'NaN'" : (number > 0 ? "'Infinity'" : "'-Infinity'"))
        case .text(let text): return "'" + text.replacingOccurrences(of: "\u{0}", with: "").replacingOccurrences(of: "'", with: "''") + "'"
        }
    }

    /// Sends text-format rows into `table` with one `COPY … FROM STDIN`.
    package func copy(into table: String, columns: [String], _ rows: ByteBuffer) throws(ClericalError) {
        let connection = self.connection, logger = self.logger
        do {
            try blocking(within: answerSeconds) {
                try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                    try await writer.write(rows)
                }
            }
        } catch let error as ClericalError {
            throw error
        } catch {
            throw failure(error)
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    package func transaction<T>(_ body: () throws(ClericalError) -> T) throws(ClericalError) -> T {
        try run("BEGIN")
        do {
            let value = try body()
            try run("COMMIT")
            return value
        } catch {
            try? run("ROLLBACK")
            throw error
        }
    }

    // MARK: - Configuration and failures

    /// A failure on this open connection: as `failure(_:address:connecting:)`, and a statement
    /// that got no answer in time counts as the connection lost.
    private func failure(_ error: any Error) -> ClericalError {
        if error is NoAnswer {
            return ClericalError(.unavailable, "\(address): no answer from the server in \(Int(answerSeconds)) s: the connection counts as lost")
        }
        return Self.failure(error, address: address, connecting: false)
    }

    private static func configuration(_ address: PostgresAddress) throws(ClericalError) -> PostgresConnection.Configuration {
        switch address.endpoint {
        case .socket(let path):
            return .init(unixSocketPath: path, username: address.user, password: address.password, database: address.database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch address.sslMode {
                case .disable:
                    tls = .disable
                case .prefer, .require:
                    // libpq: `require` encrypts but does not check the certificate.
                    var settings = TLSConfiguration.makeClientConfiguration()
                    settings.certificateVerification = .none
                    let context = try NIOSSLContext(configuration: settings)
                    tls = address.sslMode == .prefer ? .prefer(context) : .require(context)
                case .verifyFull:
                    tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            } catch {
                throw ClericalError(.configuration, "\(address): cannot set up TLS: \(error)")
            }
            var configuration = PostgresConnection.Configuration(
                host: host, port: port, username: address.user, password: address.password, database: address.database, tls: tls)
            configuration.options.connectTimeout = .seconds(10)
            if address.sslMode == .verifyFull { configuration.options.tlsServerName = host }
            return configuration
        }
    }

    /// A PostgreSQL or connection failure as one line and a sysexits status: the server cannot
    /// be reached (69), the login or a privilege is refused (77), the queue's schema or
    /// database is missing or not a queue (65), the server stays busy (75).
    static func failure(_ error: any Error, address: PostgresAddress, connecting: Bool) -> ClericalError {
        guard let error = error as? PSQLError else {
            return ClericalError(.unavailable, "\(address): cannot reach the server: \(error)")
        }
        if let state = error.serverInfo?[.sqlState] {
            let message = error.serverInfo?[.message] ?? "error \(state)"
            switch state {
            case "28000", "28P01": return ClericalError(.notPermitted, "\(address): login refused: \(message)")
            case "42501": return ClericalError(.notPermitted, "\(address): not permitted: \(message)")
            case "3D000", "3F000": return ClericalError(.dataError, "\(address): \(message)")
            case "57P01", "57P02":  // the server shut down or crashed under this connection
                return ClericalError(.unavailable, "\(address): the connection was lost: \(message)")
            case "40001", "40P01", "55P03", "57014", "53300", "57P03":
                return ClericalError(.tryAgain, "\(address): the server is busy, try again: \(message)")
            case "CL075": return ClericalError(.tryAgain, "\(address): \(message)")  // the review functions' own
            case "CL065": return ClericalError(.dataError, "\(address): \(message)")
            case "23505", "23503", "23514", "23502", "23001":
                return ClericalError(.dataError, "\(address): \(message)")
            default:
                if state.hasPrefix("08") { return ClericalError(.unavailable, "\(address): cannot reach the server: \(message)") }
                return ClericalError(.ioError, "\(address): \(message) (\(state))")
            }
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .sslUnsupported, .failedToAddSSLHandler:
            let cause = error.underlying.map { "\($0)" } ?? "\(error.code)"
            return ClericalError(.unavailable, "\(address): cannot reach the server: \(cause)")
        case .authMechanismRequiresPassword, .saslError, .unsupportedAuthMechanism:
            return ClericalError(.notPermitted, "\(address): login refused: \(error.code) (set PGPASSWORD or ~/.pgpass)")
        default:
            return ClericalError(connecting ? .unavailable : .ioError, "\(address): \(error.code)")
        }
    }
}

// MARK: - Waiting for async work from synchronous commands

private final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// Waits on this thread for `future`, for at most `seconds` (then throws `NoAnswer`).
func waiting<T: Sendable>(within seconds: Double, for future: EventLoopFuture<T>) throws -> T {
    let outcome = Outcome<T>()
    let done = DispatchSemaphore(value: 0)
    future.whenComplete { result in
        outcome.result = result.mapError { $0 }
        done.signal()
    }
    guard done.wait(timeout: .now() + seconds) == .success else { throw NoAnswer() }
    return try outcome.result!.get()
}

/// Work that did not finish in the time `blocking` or `waiting` gave it.
struct NoAnswer: Error {}

/// Runs async work and waits for it on this thread, for at most `seconds` when given (then
/// throws `NoAnswer` and leaves the work to finish or not on its own): the commands are
/// synchronous, and this is the one place they cross into PostgresNIO's concurrency.
func blocking<T>(within seconds: Double? = nil, _ work: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Outcome<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { outcome.result = .success(try await work()) } catch { outcome.result = .failure(error) }
        done.signal()
    }
    if let seconds {
        guard done.wait(timeout: .now() + seconds) == .success else { throw NoAnswer() }
    } else {
        done.wait()
    }
    return try outcome.result!.get()
}
