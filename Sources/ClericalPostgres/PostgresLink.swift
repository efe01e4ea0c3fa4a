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
    /// Where the URL lists several hosts, they are tried in order, as libpq tries them: a host
    /// that cannot be reached, or is not what `target_session_attrs` asks for, gives way to the
    /// next; a refused login ends the search. So a reconnection after a failover finds the new
    /// primary.
    package static func open(_ address: PostgresAddress) throws(ClericalError) -> PostgresLink {
        var quiet = Logger(label: "clerical.postgres")
        quiet.logLevel = .critical
        let logger = quiet
        var passedOver: [String] = []
        for index in address.endpoints.indices {
            let configuration = try Self.configuration(address, host: index)
            let connection: PostgresConnection
            do {
                // Connecting and logging in, within the connect timeout and time for the login after it.
                connection = try blocking(within: Double(address.connectTimeoutSeconds) + 20) {
                    try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                }
            } catch {
                let failure = failure(error, address: address.only(host: index), connecting: true)
                guard address.endpoints.count > 1, failure.status == .unavailable else { throw failure }
                passedOver.append(failure.message)
                continue
            }
            let link = PostgresLink(address: address, connection: connection, logger: logger)
            if let unsuitable = try link.unsuitable(for: address.targetSession) {
                link.close()
                passedOver.append("\(address.only(host: index)): \(unsuitable)")
                continue
            }
            try link.run("SET search_path TO \(address.schema)")
            return link
        }
        throw ClericalError(.unavailable, "\(address): no host listed will do: " + passedOver.joined(separator: "; "))
    }

    /// Why this server is not what `target_session_attrs` asks for, or nil if it is.
    private func unsuitable(for target: PostgresAddress.TargetSession) throws(ClericalError) -> String? {
        switch target {
        case .any:
            return nil
        case .readWrite:
            let readOnly = try rows("SHOW transaction_read_only").first.map { row throws(ClericalError) in try PostgresQueue.text(row, 0) }
            return readOnly == "on" ? "read-only (target_session_attrs=read-write)" : nil
        case .primary:
            let recovering = try rows("SELECT pg_is_in_recovery()").first.map { row throws(ClericalError) in try PostgresQueue.decode(row, 0, as: Bool.self) }
            return recovering == true ? "a standby in recovery (target_session_attrs=primary)" : nil
        }
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

    private static func configuration(_ address: PostgresAddress, host index: Int) throws(ClericalError) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        let password = address.passwords[index]
        switch address.endpoints[index] {
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: address.user, password: password, database: address.database)
        case .tcp(let host, let port):
            // No tlsServerName: PostgresNIO sends the host's name for SNI, and verify-full checks
            // it; an IP address, which SNI cannot carry, is sent as none, and NIOSSL checks the
            // certificate's IP entries against the address connected to.
            configuration = .init(host: host, port: port, username: address.user, password: password,
                                  database: address.database, tls: try tls(address))
        }
        configuration.options.connectTimeout = .seconds(Int64(address.connectTimeoutSeconds))
        configuration.options.additionalStartupParameters = [("application_name", address.applicationName ?? commandName)]
        return configuration
    }

    /// This process as a database administrator sees it in `pg_stat_activity`: the tool and
    /// its command (`clerical review`, `clerical dashboard`, `clerical-load`).
    static let commandName: String = {
        let arguments = ProcessInfo.processInfo.arguments
        let tool = URL(fileURLWithPath: arguments.first ?? "clerical").lastPathComponent
        let command = arguments.dropFirst().prefix(2).prefix { !$0.hasPrefix("-") && !$0.contains("/") && !$0.contains(".") }
        return ([tool] + command).joined(separator: " ")
    }()

    /// TLS as libpq's `sslmode` and `sslrootcert` ask for it. `prefer` encrypts when the server
    /// offers it and checks nothing (libpq would fall back to a plain connection where a check
    /// failed; PostgresNIO cannot). `require` checks the signer when root certificates are at
    /// hand, as libpq does, and else only encrypts; `verify-ca` and `verify-full` need them.
    private static func tls(_ address: PostgresAddress) throws(ClericalError) -> PostgresConnection.Configuration.TLS {
        guard address.sslMode != .disable else { return .disable }
        var settings = TLSConfiguration.makeClientConfiguration()
        settings.certificateVerification = .none
        if let (chain, key) = try clientCertificate(address) {
            settings.certificateChain = chain.map { .certificate($0) }
            settings.privateKey = .privateKey(key)
        }
        // Read whatever the mode: a root file named but missing or unreadable is reported even
        // where `prefer` would not use it.
        let roots = try trustRoots(address)
        if address.sslMode != .prefer, let roots {
            settings.trustRoots = roots
            settings.certificateVerification = address.sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
        } else if address.sslMode == .verifyCA || address.sslMode == .verifyFull {
            throw ClericalError(.noInput, """
                \(address): sslmode=\(address.sslMode.rawValue) needs the certificate of the authority that signed the \
                server's, and there is none at \(address.rootCertificates.shown): name a PEM file with sslrootcert=FILE in \
                the URL or PGSSLROOTCERT, or trust the system's roots with sslrootcert=system
                """)
        }
        do {
            let context = try NIOSSLContext(configuration: settings)
            return address.sslMode == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw ClericalError(.configuration, "\(address): cannot set up TLS: \(error)")
        }
    }

    /// The roots the server's certificate is checked against; nil when libpq's default file
    /// is not there (no file was named).
    private static func trustRoots(_ address: PostgresAddress) throws(ClericalError) -> NIOSSLTrustRoots? {
        let path: String
        switch address.rootCertificates {
        case .system: return .default
        case .defaultFile(let file):
            guard FileManager.default.fileExists(atPath: file) else { return nil }
            path = file
        case .file(let file):
            guard FileManager.default.fileExists(atPath: file) else {
                throw ClericalError(.noInput, "\(address): sslrootcert \(file): no such file")
            }
            path = file
        }
        return .certificates(try certificates(in: path, named: "sslrootcert", address))
    }

    /// The certificate to show the server and its key, when named or at libpq's default place.
    /// As libpq insists, the key must not be readable by others (group too, unless root owns it).
    private static func clientCertificate(_ address: PostgresAddress) throws(ClericalError)
        -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)? {
        let files = address.clientCertificate
        guard FileManager.default.fileExists(atPath: files.certificate) else {
            if files.named { throw ClericalError(.noInput, "\(address): sslcert \(files.certificate): no such file") }
            return nil
        }
        var info = stat()
        guard stat(files.key, &info) == 0 else {
            throw ClericalError(.noInput, "\(address): sslkey \(files.key): no such file (the certificate \(files.certificate) needs its key)")
        }
        let othersMayRead: mode_t = info.st_uid == 0 ? 0o037 : 0o077
        guard info.st_mode & othersMayRead == 0 else {
            throw ClericalError(.notPermitted, "\(address): sslkey \(files.key) may be read by others: chmod 600 it, as libpq insists")
        }
        let chain = try certificates(in: files.certificate, named: "sslcert", address)
        do {
            return (chain, try NIOSSLPrivateKey(file: files.key, format: .pem))
        } catch {
            throw ClericalError(.dataError, "\(address): sslkey \(files.key): not an unencrypted PEM private key (\(error))")
        }
    }

    /// The certificates in a PEM file the URL's `setting` named.
    private static func certificates(in path: String, named setting: String,
                                     _ address: PostgresAddress) throws(ClericalError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw ClericalError(.dataError, "\(address): \(setting) \(path): not a PEM certificate file (\(error))")
        }
        guard !certificates.isEmpty else { throw ClericalError(.dataError, "\(address): \(setting) \(path): holds no certificate") }
        return certificates
    }

    /// A TLS handshake that failed its checks, as one line saying which check and what to do;
    /// nil for any other failure.
    private static func tlsFailure(_ cause: (any Error)?, address: PostgresAddress) -> ClericalError? {
        guard let cause else { return nil }
        if let extra = cause as? NIOSSLExtraError, extra == .failedToValidateHostname {
            let host: String
            if case .tcp(let name, _) = address.endpoint { host = name } else { host = "the host" }
            return ClericalError(.unavailable, """
                \(address): the server's certificate is not for \(host): sslmode=verify-full checks that it names the \
                host connected to (connect by a name it lists, or use verify-ca to check only its signer)
                """)
        }
        if cause is NIOSSLError, "\(cause)".contains("CERTIFICATE_VERIFY_FAILED") {
            return ClericalError(.unavailable, """
                \(address): the server's certificate does not verify against \(address.rootCertificates.shown) \
                (not signed by it, expired, or not yet valid): sslmode=\(address.sslMode.rawValue) checks it
                """)
        }
        return nil
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
            case "25006":  // a standby, or a database set read-only: the queue cannot be written there
                return ClericalError(.unavailable, """
                    \(address): the server takes no writes (\(message)): a standby, or a read-only database; \
                    name the primary, or list the hosts with target_session_attrs=read-write
                    """)
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
        if let failed = tlsFailure(error.underlying, address: address) { return failed }
        switch error.code {
        case .sslUnsupported:
            return ClericalError(.unavailable, "\(address): the server does not offer TLS, and sslmode=\(address.sslMode.rawValue) requires it")
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .failedToAddSSLHandler:
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
