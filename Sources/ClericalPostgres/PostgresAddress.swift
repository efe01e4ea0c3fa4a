import ClericalCore
import Foundation

/// Where a PostgreSQL queue lives: a server, a database, and the schema that holds the queue,
/// with the credentials libpq would use for the same URL and environment.
///
///     let address = try PostgresAddress(url: "postgresql://ana@db.internal:5432/linkage?schema=wave3")
///     address.schema      // "wave3"
///
/// The URL wins over a connection service (`service=NAME` or `PGSERVICE`: a section of
/// `PGSERVICEFILE` or `~/.pg_service.conf`, else of `pg_service.conf` in `PGSYSCONFDIR` or
/// `/etc/postgresql-common`), which wins over the environment (`PGHOST`, `PGPORT`, `PGUSER`,
/// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`,
/// `PGAPPNAME`, `PGCONNECT_TIMEOUT`, `PGTARGETSESSIONATTRS`, `PGPASSFILE`), which wins over
/// libpq's defaults; a host may be a list (`db1:5432,db2:5432`, `PGHOST=db1,db2`), tried in order;
/// a password comes from the URL, then the service, then `PGPASSWORD`, then the password file
/// (`passfile`, else `PGPASSFILE`, else `~/.pgpass`). The
/// certificates that may sign the server's come from `sslrootcert` (a PEM file, or `system`),
/// then `PGSSLROOTCERT`, then `~/.postgresql/root.crt` where it exists; a certificate for the
/// client to show the server (`cert` logins) from `sslcert` and `sslkey`, then `PGSSLCERT` and
/// `PGSSLKEY`, then `~/.postgresql/postgresql.crt` and `.key` where they exist.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// A Unix socket: libpq's `host=/directory` form, socket `.s.PGSQL.<port>` inside it.
        case socket(path: String)
    }

    /// libpq's `sslmode`, the values a queue URL takes: `prefer` and `require` encrypt without
    /// checking who answers (but `require` checks the certificate's signer, as `verify-ca` does,
    /// when root certificates are at hand); `verify-ca` checks that a trusted root signed the
    /// server's certificate; `verify-full` also that the certificate names the host connected to.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// Where the certificates that may sign the server's come from (libpq's `sslrootcert`).
    public enum RootCertificates: Sendable, Equatable {
        /// A PEM file named by `sslrootcert` or `PGSSLROOTCERT`: it must be there.
        case file(String)
        /// `sslrootcert=system`: the system's trusted roots.
        case system
        /// None named: libpq's default file (`~/.postgresql/root.crt`), used where it exists.
        case defaultFile(String)
    }

    /// libpq's `target_session_attrs`: which of the hosts listed will do. A queue is written to,
    /// so the read-only kinds (`read-only`, `standby`, `prefer-standby`) are not taken.
    public enum TargetSession: String, Sendable, CaseIterable {
        /// The first host that takes the connection.
        case any
        /// The first that accepts writes (`transaction_read_only` off).
        case readWrite = "read-write"
        /// The first that is not a standby in recovery.
        case primary
    }

    /// The first host listed: the only one, unless the URL lists several.
    public var endpoint: Endpoint { endpoints[0] }
    /// Every host listed, in the order they are tried (libpq's `host1:port1,host2:port2`; a
    /// failover pair, say), each with the password found for it.
    public var endpoints: [Endpoint]
    public var passwords: [String?]
    public var targetSession: TargetSession
    public var user: String
    /// The first host's password.
    public var password: String? { passwords[0] }
    public var database: String
    public var schema: String
    public var sslMode: SSLMode
    public var rootCertificates: RootCertificates
    public var clientCertificate: ClientCertificate
    /// What the server shows for this connection in `pg_stat_activity` (libpq's
    /// `application_name`, `PGAPPNAME`); nil for the command's own name.
    public var applicationName: String?
    /// How long a connection may take to open, in seconds (libpq's `connect_timeout`,
    /// `PGCONNECT_TIMEOUT`; 10 when not given, at least 2, and 0 for no limit, as libpq has it).
    public var connectTimeoutSeconds: Int
    /// `connect_timeout=0`: as good as no limit (a day).
    static let noConnectTimeout = 86_400

    /// The certificate this client shows the server, and its private key (libpq's `sslcert`
    /// and `sslkey`, PEM files).
    public struct ClientCertificate: Sendable, Equatable {
        public var certificate: String
        public var key: String
        /// Named in the URL or the environment (then they must be there), or libpq's default
        /// files (used where the certificate exists).
        public var named: Bool
    }

    /// True for what names a PostgreSQL queue rather than a queue file.
    public static func isURL(_ text: String) -> Bool { QueueLocation.isPostgreSQL(text) }

    /// Reads a queue URL as libpq would, with this process's environment and password file.
    public init(url: String) throws(ClericalError) {
        let environment = ProcessInfo.processInfo.environment
        try self.init(url: url, environment: environment, passwordFile: Self.passwordFileText(environment))
    }

    /// The same, with the environment and the password file's text given (for tests).
    public init(url text: String, environment: [String: String], passwordFile: String?) throws(ClericalError) {
        // URLComponents reads one host: a list (`h1:5432,h2:5433`) is taken out first and read here.
        let (oneHost, listedHosts) = Self.hostList(in: text)
        guard Self.isURL(text), let url = URLComponents(string: oneHost) else {
            throw ClericalError(.usage, "\(Self.redacted(text)): not a PostgreSQL URL (postgresql://user@host:port/dbname?schema=NAME)")
        }
        var query: [String: String] = [:]
        for item in url.queryItems ?? [] {
            guard let value = item.value, !value.isEmpty else {
                throw ClericalError(.usage, "\(Self.redacted(text)): \(item.name) needs a value")
            }
            query[item.name] = value
        }
        let settings = ["schema", "service"] + Self.serviceSettings
        for name in query.keys where !settings.contains(name) {
            throw ClericalError(.usage, "\(Self.redacted(text)): unknown setting \(name) (\(settings.joined(separator: ", ")))")
        }
        // libpq: a setting in the URL, else in the connection service, else its environment
        // variable, else the default.
        if let service = query["service"] ?? Self.nonEmpty(environment["PGSERVICE"]) {
            for (name, value) in try Self.serviceDefinition(service, environment: environment) where query[name] == nil {
                query[name] = value
            }
        }

        // Hosts, each with the port it names, else the port list's (one port for every host, or
        // one each), as libpq pairs them.
        var hosts: [(name: String, port: String?)]
        if let listedHosts {
            hosts = listedHosts
        } else if let name = Self.nonEmpty(url.percentEncodedHost.flatMap { $0.removingPercentEncoding }) {
            hosts = [(name, url.port.map(String.init))]
        } else {
            let names = query["host"] ?? Self.nonEmpty(environment["PGHOST"]) ?? "/var/run/postgresql"
            hosts = names.split(separator: ",", omittingEmptySubsequences: false).map { (String($0), nil) }
        }
        let portList = (query["port"] ?? Self.nonEmpty(environment["PGPORT"]) ?? "5432")
            .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard portList.count == 1 || portList.count == hosts.count else {
            throw ClericalError(.usage, "\(Self.redacted(text)): \(portList.count) ports for \(hosts.count) hosts (give one port, or one for each host)")
        }
        var places: [(host: String, port: Int)] = []
        for (index, host) in hosts.enumerated() {
            let portText = Self.nonEmpty(host.port) ?? Self.nonEmpty(portList[portList.count == 1 ? 0 : index]) ?? "5432"
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw ClericalError(.usage, "\(Self.redacted(text)): port \(portText) is not a port number")
            }
            guard !host.name.isEmpty else {
                throw ClericalError(.usage, "\(Self.redacted(text)): an empty host in the host list")
            }
            places.append((host.name, port))
        }
        let targetText = query["target_session_attrs"] ?? Self.nonEmpty(environment["PGTARGETSESSIONATTRS"]) ?? "any"
        guard let target = TargetSession(rawValue: targetText) else {
            throw ClericalError(.usage, """
                \(Self.redacted(text)): target_session_attrs \(targetText) is not one of \(TargetSession.allCases.map(\.rawValue).joined(separator: ", ")) \
                (clerical writes to its queue, so a read-only server will not do)
                """)
        }
        targetSession = target
        user = Self.nonEmpty(url.user) ?? query["user"] ?? Self.nonEmpty(environment["PGUSER"]) ?? Self.loginName()
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        database = Self.nonEmpty(path) ?? query["dbname"] ?? Self.nonEmpty(environment["PGDATABASE"]) ?? user
        schema = query["schema"] ?? "clerical"
        guard Self.isPlainName(schema) else {
            throw ClericalError(.usage, "\(Self.redacted(text)): schema \(schema) must be letters, digits and _ (at most 63)")
        }
        let libpqFolder = (Self.nonEmpty(environment["HOME"]) ?? NSHomeDirectory()) + "/.postgresql/"
        let roots = query["sslrootcert"] ?? Self.nonEmpty(environment["PGSSLROOTCERT"])
        rootCertificates = roots == "system" ? .system : roots.map { .file($0) } ?? .defaultFile(libpqFolder + "root.crt")
        let certificate = query["sslcert"] ?? Self.nonEmpty(environment["PGSSLCERT"])
        let key = query["sslkey"] ?? Self.nonEmpty(environment["PGSSLKEY"])
        clientCertificate = ClientCertificate(certificate: certificate ?? libpqFolder + "postgresql.crt",
                                              key: key ?? libpqFolder + "postgresql.key", named: certificate != nil || key != nil)
        // libpq: the system's roots are trusted only to check the host's name too, and make that the default.
        let modeText = query["sslmode"] ?? Self.nonEmpty(environment["PGSSLMODE"]) ?? (rootCertificates == .system ? "verify-full" : "prefer")
        guard let mode = SSLMode(rawValue: modeText) else {
            throw ClericalError(.usage, "\(Self.redacted(text)): sslmode \(modeText) is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if rootCertificates == .system && mode != .verifyFull {
            throw ClericalError(.usage, "\(Self.redacted(text)): sslmode \(modeText) may not be used with sslrootcert=system (use verify-full): any certificate a public authority signed would pass")
        }
        sslMode = mode
        endpoints = places.map { place in
            place.host.hasPrefix("/") ? .socket(path: place.host + "/.s.PGSQL.\(place.port)") : .tcp(host: place.host, port: place.port)
        }
        applicationName = query["application_name"] ?? Self.nonEmpty(environment["PGAPPNAME"])
        let timeoutText = query["connect_timeout"] ?? Self.nonEmpty(environment["PGCONNECT_TIMEOUT"]) ?? "10"
        guard let timeout = Int(timeoutText) else {
            throw ClericalError(.usage, "\(Self.redacted(text)): connect_timeout \(timeoutText) is not a whole number of seconds")
        }
        connectTimeoutSeconds = timeout <= 0 ? Self.noConnectTimeout : max(timeout, 2)
        let passwords = try query["passfile"].map { path throws(ClericalError) in try Self.namedPasswordFileText(path) } ?? passwordFile
        let given = Self.nonEmpty(url.password) ?? query["password"] ?? environment["PGPASSWORD"]
        self.passwords = places.map { [database, user] place in
            given ?? passwords.flatMap { Self.lookUp(in: $0, host: place.host, port: place.port, database: database, user: user) }
        }
    }

    /// The address of one of the hosts listed alone: what a message about that host names.
    public func only(host index: Int) -> PostgresAddress {
        var one = self
        one.endpoints = [endpoints[index]]
        one.passwords = [passwords[index]]
        return one
    }

    /// The URL with a list of hosts (`postgresql://ana@h1:5432,h2:5433/x`) cut to its first, and
    /// the list, each host with the port it names; a URL with one host as it is, and nil.
    static func hostList(in text: String) -> (oneHost: String, hosts: [(name: String, port: String?)]?) {
        guard let authority = authority(of: text) else { return (text, nil) }
        let hostStart = text[authority].lastIndex(of: "@").map { text.index(after: $0) } ?? authority.lowerBound
        let list = text[hostStart..<authority.upperBound]
        guard list.contains(",") else { return (text, nil) }
        let entries = list.split(separator: ",", omittingEmptySubsequences: false)
        let hosts = entries.map { entry -> (name: String, port: String?) in
            // [v6 address]:port, or name:port
            var name = Substring(entry), port: String?
            if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
                name = entry[entry.index(after: entry.startIndex)..<close]
                let after = entry[entry.index(after: close)...]
                if after.hasPrefix(":") { port = String(after.dropFirst()) }
            } else if let colon = entry.lastIndex(of: ":") {
                name = entry[..<colon]
                port = String(entry[entry.index(after: colon)...])
            }
            return (String(name).removingPercentEncoding ?? String(name), port)
        }
        return (String(text[..<list.startIndex]) + entries[0] + String(text[authority.upperBound...]), hosts)
    }

    /// Where `user:password@hosts` stands in a URL: after the scheme, up to the path or query.
    static func authority(of text: String) -> Range<String.Index>? {
        guard let scheme = text.range(of: "://") else { return nil }
        let end = text[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? text.endIndex
        return scheme.upperBound..<end
    }

    /// The URL as a person should see it: never the password.
    public var description: String {
        let servers = endpoints.map { endpoint in
            switch endpoint {
            case .tcp(let host, let port): "\(host.contains(":") ? "[\(host)]" : host):\(port)"
            case .socket(let path): path
            }
        }
        return "postgresql://\(user)@\(servers.joined(separator: ","))/\(database)?schema=\(schema)"
            + (targetSession == .any ? "" : "&target_session_attrs=\(targetSession.rawValue)")
    }

    // MARK: - libpq's connection service file

    /// The libpq settings a queue URL (or a service) may give.
    static let serviceSettings = ["host", "port", "dbname", "user", "password", "passfile", "sslmode", "sslrootcert",
                                  "sslcert", "sslkey", "application_name", "connect_timeout", "target_session_attrs"]
    /// libpq settings that only tune a connection clerical makes its own way: a service file
    /// written for psql may hold them.
    static let ignoredServiceSettings: Set<String> = [
        "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
        "tcp_user_timeout", "client_encoding", "sslcompression", "sslsni",
    ]

    /// The settings of service `name`, from the user's service file where it defines it, else
    /// the system's, as libpq reads them: `[name]` sections of `keyword=value` lines, `#`
    /// comments. A setting clerical cannot honour (GSSAPI, `options`, `load_balance_hosts`) is
    /// refused rather than dropped, so that nobody connects otherwise than they asked.
    static func serviceDefinition(_ name: String, environment: [String: String]) throws(ClericalError) -> [String: String] {
        let home = nonEmpty(environment["HOME"]) ?? NSHomeDirectory()
        let userFile = nonEmpty(environment["PGSERVICEFILE"]) ?? home + "/.pg_service.conf"
        let systemFile = (nonEmpty(environment["PGSYSCONFDIR"]) ?? "/etc/postgresql-common") + "/pg_service.conf"
        for path in [userFile, systemFile] {
            guard let text = fileText(path) else { continue }
            if let settings = try serviceSection(name, in: text, file: path) { return settings }
        }
        throw ClericalError(.configuration, "definition of service \"\(name)\" not found (looked in \(userFile) and \(systemFile))")
    }

    /// Service `name`'s settings in one file's text, or nil when the file does not define it.
    static func serviceSection(_ name: String, in text: String, file: String) throws(ClericalError) -> [String: String]? {
        var settings: [String: String]? = nil
        var inSection = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let location = InputLocation(file: file, line: index + 1)
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw ClericalError(.configuration, "syntax error in service file: a section name needs its ]", at: location)
                }
                if inSection { break }  // the service's section has ended
                inSection = line.dropFirst().dropLast() == name
                if inSection { settings = [:] }
                continue
            }
            guard inSection else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ClericalError(.configuration, "syntax error in service file: expected keyword=value", at: location)
            }
            let keyword = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if keyword == "service" {
                throw ClericalError(.configuration, "nested service specifications are not supported", at: location)
            }
            if ignoredServiceSettings.contains(keyword) { continue }
            guard serviceSettings.contains(keyword) else {
                throw ClericalError(.configuration, "service \"\(name)\": \(keyword) is not a setting clerical can honour (it reads \(serviceSettings.joined(separator: ", ")))", at: location)
            }
            if settings?[keyword] == nil { settings?[keyword] = value }
        }
        return settings
    }

    // MARK: - libpq's password file

    /// `PGPASSFILE`, else `~/.pgpass`; nil when it is missing or, as libpq insists, readable
    /// by others than its owner.
    static func passwordFileText(_ environment: [String: String]) -> String? {
        let path = nonEmpty(environment["PGPASSFILE"]) ?? (NSHomeDirectory() + "/.pgpass")
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 == 0 else { return nil }
        return fileText(path)
    }

    /// A file's text, or nil when it cannot be read. A byte that is not UTF-8 (a comment
    /// written in Latin-1) becomes U+FFFD rather than hiding the whole file, as libpq reads
    /// bytes whatever their encoding.
    static func fileText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A password file named by `passfile`: it must be there and, as libpq insists, readable by
    /// its owner alone (libpq ignores one that is not; saying so is kinder).
    static func namedPasswordFileText(_ path: String) throws(ClericalError) -> String {
        var info = stat()
        guard stat(path, &info) == 0, let text = fileText(path) else {
            throw ClericalError(.noInput, "password file \(path): no such file or not readable")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ClericalError(.notPermitted, "password file \(path) may be read by others: chmod 600 it")
        }
        return text
    }

    /// The password of the first line `hostname:port:database:username:password` that
    /// matches (`*` matches anything; `\:` and `\\` are a literal colon and backslash; a
    /// socket matches `localhost`).
    static func lookUp(in file: String, host: String, port: Int, database: String, user: String) -> String? {
        let wanted = [host.hasPrefix("/") ? "localhost" : host, String(port), database, user]
        for line in file.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = [""]
            var escaped = false
            for character in line {
                if escaped { fields[fields.count - 1].append(character); escaped = false }
                else if character == "\\" { escaped = true }
                else if character == ":" && fields.count < 5 { fields.append("") }
                else { fields[fields.count - 1].append(character) }
            }
            guard fields.count == 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    // MARK: - Helpers

    /// A schema name used unquoted in SQL: letters, digits and underscores, as PostgreSQL
    /// folds it (lower case), not starting with a digit.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 63, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    private static func loginName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "postgres"
    }

    /// The text with any password in it blanked, for error messages: the one before the host
    /// (or host list), and every `password=` setting (a URL may give it twice).
    static func redacted(_ text: String) -> String {
        var shown = text
        if let authority = authority(of: shown), let at = shown[authority].lastIndex(of: "@"),
           let colon = shown[authority.lowerBound..<at].firstIndex(of: ":") {
            shown.replaceSubrange(shown.index(after: colon)..<at, with: "***")
        }
        let pieces = shown.components(separatedBy: "password=")
        return pieces[0] + pieces.dropFirst().map { "password=***" + $0.drop { $0 != "&" } }.joined()
    }
}

extension PostgresAddress.RootCertificates {
    /// As a message names them.
    var shown: String {
        switch self {
        case .file(let path), .defaultFile(let path): path
        case .system: "the system's trusted roots"
        }
    }
}
