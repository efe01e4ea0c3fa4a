import ClericalCore
@testable import ClericalPostgres
import XCTest

/// Queue URLs read as libpq reads them: the URL, then the environment, then the defaults;
/// passwords from the URL, PGPASSWORD or the password file, and never printed.
final class PostgresAddressTests: XCTestCase {
    func testAFullURL() throws {
        let address = try PostgresAddress(url: "postgresql://ana:s3cret@db.internal:6543/linkage?schema=wave3&sslmode=verify-full",
                                          environment: [:], passwordFile: nil)
        XCTAssertEqual(address.endpoint, .tcp(host: "db.internal", port: 6543))
        XCTAssertEqual(address.user, "ana")
        XCTAssertEqual(address.password, "s3cret")
        XCTAssertEqual(address.database, "linkage")
        XCTAssertEqual(address.schema, "wave3")
        XCTAssertEqual(address.sslMode, .verifyFull)
        XCTAssertEqual(address.description, "postgresql://ana@db.internal:6543/linkage?schema=wave3")
        XCTAssertFalse(address.description.contains("s3cret"))
    }

    func testTheEnvironmentFillsWhatTheURLLeavesOut() throws {
        let environment = ["PGHOST": "pg.example", "PGPORT": "5433", "PGUSER": "ben", "PGDATABASE": "records",
                           "PGPASSWORD": "from-env", "PGSSLMODE": "require"]
        let address = try PostgresAddress(url: "postgresql://?schema=q1", environment: environment, passwordFile: nil)
        XCTAssertEqual(address.endpoint, .tcp(host: "pg.example", port: 5433))
        XCTAssertEqual(address.user, "ben")
        XCTAssertEqual(address.database, "records")
        XCTAssertEqual(address.password, "from-env")
        XCTAssertEqual(address.sslMode, .require)
        // The URL wins over the environment.
        let explicit = try PostgresAddress(url: "postgres://cy@other:5432/db2?schema=q1&sslmode=disable",
                                           environment: environment, passwordFile: nil)
        XCTAssertEqual(explicit.endpoint, .tcp(host: "other", port: 5432))
        XCTAssertEqual(explicit.user, "cy")
        XCTAssertEqual(explicit.database, "db2")
        XCTAssertEqual(explicit.sslMode, .disable)
    }

    /// A list of hosts, as libpq reads one: each with its own port, or the port list's (one port
    /// for all, or one each); in the URL, in `host=`/`port=`, or in PGHOST/PGPORT. Each host's
    /// password is looked up for that host.
    func testAListOfHosts() throws {
        let file = "db1:5432:linkage:ana:first\ndb2:5433:linkage:ana:second"
        let listed = try PostgresAddress(url: "postgresql://ana@db1,db2:5433,[fe80::1]:6000/linkage?schema=w&target_session_attrs=read-write",
                                         environment: [:], passwordFile: file)
        XCTAssertEqual(listed.endpoints, [.tcp(host: "db1", port: 5432), .tcp(host: "db2", port: 5433), .tcp(host: "fe80::1", port: 6000)])
        XCTAssertEqual(listed.passwords, ["first", "second", nil])
        XCTAssertEqual(listed.endpoint, .tcp(host: "db1", port: 5432))
        XCTAssertEqual(listed.user, "ana")
        XCTAssertEqual(listed.database, "linkage")
        XCTAssertEqual(listed.targetSession, .readWrite)
        XCTAssertEqual(listed.description, "postgresql://ana@db1:5432,db2:5433,[fe80::1]:6000/linkage?schema=w&target_session_attrs=read-write")
        XCTAssertEqual(listed.only(host: 1).description, "postgresql://ana@db2:5433/linkage?schema=w&target_session_attrs=read-write")

        let byQuery = try PostgresAddress(url: "postgresql:///linkage?host=db1,db2&port=5432,5433&user=ana", environment: [:], passwordFile: nil)
        XCTAssertEqual(byQuery.endpoints, [.tcp(host: "db1", port: 5432), .tcp(host: "db2", port: 5433)])
        let environment = ["PGHOST": "db1,db2", "PGPORT": "6432", "PGTARGETSESSIONATTRS": "primary"]
        let byEnvironment = try PostgresAddress(url: "postgresql:///linkage", environment: environment, passwordFile: nil)
        XCTAssertEqual(byEnvironment.endpoints, [.tcp(host: "db1", port: 6432), .tcp(host: "db2", port: 6432)], "one port for every host")
        XCTAssertEqual(byEnvironment.targetSession, .primary)
        XCTAssertEqual(try PostgresAddress(url: "postgresql://ana@db/x", environment: [:], passwordFile: nil).targetSession, .any)

        // Ports that do not pair with the hosts, an empty host, a target a queue cannot use:
        // usage errors that never show the password.
        for text in ["postgresql://ana:hunter2@db1,db2/x?port=1,2,3", "postgresql://ana:hunter2@db1,,db2/x",
                     "postgresql://ana:hunter2@db1,db2:http/x", "postgresql://ana:hunter2@db1,db2/x?target_session_attrs=standby",
                     "postgresql://ana@db1,db2/x?password=hunter2&colour=blue"] {
            XCTAssertThrowsError(try PostgresAddress(url: text, environment: [:], passwordFile: nil), text) { error in
                let error = error as? ClericalError
                XCTAssertEqual(error?.status, .usage, text)
                XCTAssertFalse(error?.message.contains("hunter2") ?? true, "\(text): \(error?.message ?? "")")
            }
        }
    }

    func testLibpqDefaults() throws {
        let address = try PostgresAddress(url: "postgresql://dee@", environment: [:], passwordFile: nil)
        XCTAssertEqual(address.endpoint, .socket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        XCTAssertEqual(address.database, "dee", "the database defaults to the user's name")
        XCTAssertEqual(address.schema, "clerical")
        XCTAssertEqual(address.sslMode, .prefer)
        XCTAssertNil(address.password)
        let socket = try PostgresAddress(url: "postgresql://dee@%2Ftmp%2Fpg:5499/x", environment: [:], passwordFile: nil)
        XCTAssertEqual(socket.endpoint, .socket(path: "/tmp/pg/.s.PGSQL.5499"))
    }

    func testThePasswordFile() throws {
        let file = """
            # hostname:port:database:username:password
            other:5432:*:ana:not-this-one
            db.internal:5432:linkage:ana:pa\\:ss\\\\word
            *:*:*:*:fallback
            """
        let address = try PostgresAddress(url: "postgresql://ana@db.internal/linkage", environment: [:], passwordFile: file)
        XCTAssertEqual(address.password, "pa:ss\\word", "\\: and \\\\ are a colon and a backslash")
        let anyone = try PostgresAddress(url: "postgresql://zed@elsewhere/db", environment: [:], passwordFile: file)
        XCTAssertEqual(anyone.password, "fallback")
        let socket = try PostgresAddress(url: "postgresql://ana@%2Fvar%2Frun%2Fpostgresql/linkage", environment: [:],
                                         passwordFile: "localhost:5432:linkage:ana:by-socket")
        XCTAssertEqual(socket.password, "by-socket", "a socket connection matches localhost")
        let environmentFirst = try PostgresAddress(url: "postgresql://ana@db.internal/linkage",
                                                   environment: ["PGPASSWORD": "env"], passwordFile: file)
        XCTAssertEqual(environmentFirst.password, "env")
    }

    func testBadURLsAreUsageErrorsThatNeverShowThePassword() {
        let cases = [
            "postgresql://ana:hunter2@db/x?schema=Wave-3",
            "postgresql://ana:hunter2@db/x?sslmode=sometimes",
            "postgresql://ana:hunter2@db/x?colour=blue",
            "postgresql://ana:hunter2@db/x?schema=",
            "postgresql://ana:hunter2@db:99999/x",
            "postgresql://ana:hunter2@db/x?sslrootcert=system&sslmode=require",
            "postgresql://ana:hunter2@db/x?connect_timeout=soon",
            "postgresql://ana@db/x?password=hunter2&colour=blue",
            "postgresql://ana@db/x?password=first&password=hunter2&colour=blue",
        ]
        for text in cases {
            XCTAssertThrowsError(try PostgresAddress(url: text, environment: [:], passwordFile: nil), text) { error in
                let error = error as? ClericalError
                XCTAssertEqual(error?.status, .usage, text)
                XCTAssertFalse(error?.message.contains("hunter2") ?? true, "\(text): \(error?.message ?? "")")
            }
        }
        XCTAssertFalse(PostgresAddress.isURL("queue.db"))
        XCTAssertTrue(PostgresAddress.isURL("postgres://x"))
    }

    func testRootCertificatesAsLibpqFindsThem() throws {
        let home = ["HOME": "/home/ana"]
        // None named: libpq's default file under the home folder, used where it exists.
        let unnamed = try PostgresAddress(url: "postgresql://ana@db/x", environment: home, passwordFile: nil)
        XCTAssertEqual(unnamed.rootCertificates, .defaultFile("/home/ana/.postgresql/root.crt"))
        XCTAssertEqual(unnamed.sslMode, .prefer)
        // The URL, then PGSSLROOTCERT.
        let environment = home.merging(["PGSSLROOTCERT": "/etc/pki/env.pem"]) { $1 }
        let fromEnvironment = try PostgresAddress(url: "postgresql://ana@db/x?sslmode=verify-ca", environment: environment, passwordFile: nil)
        XCTAssertEqual(fromEnvironment.rootCertificates, .file("/etc/pki/env.pem"))
        XCTAssertEqual(fromEnvironment.sslMode, .verifyCA)
        let fromURL = try PostgresAddress(url: "postgresql://ana@db/x?sslrootcert=%2Fsrv%2Fca.pem", environment: environment, passwordFile: nil)
        XCTAssertEqual(fromURL.rootCertificates, .file("/srv/ca.pem"))
        // The system's roots make verify-full the default, and allow nothing weaker.
        let system = try PostgresAddress(url: "postgresql://ana@db/x?sslrootcert=system", environment: home, passwordFile: nil)
        XCTAssertEqual(system.rootCertificates, .system)
        XCTAssertEqual(system.sslMode, .verifyFull)
        XCTAssertThrowsError(try PostgresAddress(url: "postgresql://ana@db/x?sslrootcert=system",
                                                 environment: home.merging(["PGSSLMODE": "prefer"]) { $1 }, passwordFile: nil)) { error in
            XCTAssertEqual((error as? ClericalError)?.status, .usage)
            XCTAssertTrue((error as? ClericalError)?.message.contains("use verify-full") ?? false, "\(error)")
        }
    }

    func testClientCertificatesAsLibpqFindsThem() throws {
        let home = ["HOME": "/home/ana"]
        let unnamed = try PostgresAddress(url: "postgresql://ana@db/x", environment: home, passwordFile: nil)
        XCTAssertEqual(unnamed.clientCertificate, .init(certificate: "/home/ana/.postgresql/postgresql.crt",
                                                        key: "/home/ana/.postgresql/postgresql.key", named: false))
        let environment = home.merging(["PGSSLCERT": "/env/ana.crt", "PGSSLKEY": "/env/ana.key"]) { $1 }
        let fromEnvironment = try PostgresAddress(url: "postgresql://ana@db/x", environment: environment, passwordFile: nil)
        XCTAssertEqual(fromEnvironment.clientCertificate, .init(certificate: "/env/ana.crt", key: "/env/ana.key", named: true))
        let fromURL = try PostgresAddress(url: "postgresql://ana@db/x?sslcert=%2Furl%2Fana.crt", environment: environment, passwordFile: nil)
        XCTAssertEqual(fromURL.clientCertificate, .init(certificate: "/url/ana.crt", key: "/env/ana.key", named: true))
    }

    func testApplicationNameAndConnectTimeoutAsLibpqReadsThem() throws {
        let plain = try PostgresAddress(url: "postgresql://ana@db/x", environment: [:], passwordFile: nil)
        XCTAssertNil(plain.applicationName, "the command's own name")
        XCTAssertEqual(plain.connectTimeoutSeconds, 10)
        let environment = ["PGAPPNAME": "ward 3 review", "PGCONNECT_TIMEOUT": "30"]
        let fromEnvironment = try PostgresAddress(url: "postgresql://ana@db/x", environment: environment, passwordFile: nil)
        XCTAssertEqual(fromEnvironment.applicationName, "ward 3 review")
        XCTAssertEqual(fromEnvironment.connectTimeoutSeconds, 30)
        let fromURL = try PostgresAddress(url: "postgresql://ana@db/x?application_name=night%20shift&connect_timeout=1",
                                          environment: environment, passwordFile: nil)
        XCTAssertEqual(fromURL.applicationName, "night shift")
        XCTAssertEqual(fromURL.connectTimeoutSeconds, 2, "at least 2 seconds, as libpq has it")
        let unlimited = try PostgresAddress(url: "postgresql://ana@db/x?connect_timeout=0", environment: [:], passwordFile: nil)
        XCTAssertEqual(unlimited.connectTimeoutSeconds, PostgresAddress.noConnectTimeout, "0: no limit")
    }
}

/// Connection services as libpq reads them: `service=` or `PGSERVICE`, the user's service file
/// before the system's, the URL over the service over the environment.
final class ConnectionServiceTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func file(_ name: String, _ text: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testAServiceGivesWhatTheURLLeavesOut() throws {
        let services = try file("services.conf", """
            # the linkage team's servers
            [linkage]
            host=db.internal
            port = 6543
            dbname=records
            user=ana
            sslmode=verify-full
            sslrootcert=/etc/ssl/internal-ca.pem
            keepalives=1

            [other]
            host=elsewhere
            """)
        let environment = ["PGSERVICEFILE": services, "PGHOST": "from-env", "PGUSER": "env-user", "PGPORT": "5999"]
        let address = try PostgresAddress(url: "postgresql:///?service=linkage&schema=wave3", environment: environment, passwordFile: nil)
        XCTAssertEqual(address.endpoint, .tcp(host: "db.internal", port: 6543), "the service wins over the environment")
        XCTAssertEqual(address.database, "records")
        XCTAssertEqual(address.user, "ana")
        XCTAssertEqual(address.sslMode, .verifyFull)
        XCTAssertEqual(address.rootCertificates, .file("/etc/ssl/internal-ca.pem"))
        XCTAssertEqual(address.schema, "wave3")

        // The URL wins over the service; PGSERVICE names one when the URL does not.
        let explicit = try PostgresAddress(url: "postgresql://cy@/db2?schema=q&sslmode=disable",
                                           environment: environment.merging(["PGSERVICE": "linkage"]) { $1 }, passwordFile: nil)
        XCTAssertEqual(explicit.endpoint, .tcp(host: "db.internal", port: 6543))
        XCTAssertEqual(explicit.user, "cy")
        XCTAssertEqual(explicit.database, "db2")
        XCTAssertEqual(explicit.sslMode, .disable)
    }

    func testTheSystemFileWhenTheUsersLacksTheService() throws {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("etc"), withIntermediateDirectories: true)
        _ = try file("etc/pg_service.conf", "[shared]\nhost=system-host\n[mine]\nhost=system-mine\n")
        let user = try file("user.conf", "[mine]\nhost=user-mine\n")
        let environment = ["PGSERVICEFILE": user, "PGSYSCONFDIR": folder.appendingPathComponent("etc").path]
        XCTAssertEqual(try PostgresAddress(url: "postgresql://?service=shared", environment: environment, passwordFile: nil).endpoint,
                       .tcp(host: "system-host", port: 5432))
        XCTAssertEqual(try PostgresAddress(url: "postgresql://?service=mine", environment: environment, passwordFile: nil).endpoint,
                       .tcp(host: "user-mine", port: 5432), "the user's file first")
    }

    func testAServicesPasswordAndPasswordFile() throws {
        let passwords = try file("pgpass", "db.internal:5432:records:ana:from-passfile\n")
        chmod(passwords, 0o600)
        let services = try file("services.conf", "[a]\nhost=db.internal\ndbname=records\nuser=ana\npassfile=\(passwords)\n[b]\nhost=db.internal\npassword=in-service\n")
        let environment = ["PGSERVICEFILE": services]
        XCTAssertEqual(try PostgresAddress(url: "postgresql://?service=a", environment: environment, passwordFile: nil).password, "from-passfile")
        XCTAssertEqual(try PostgresAddress(url: "postgresql://?service=b", environment: environment.merging(["PGPASSWORD": "env"]) { $1 },
                                           passwordFile: nil).password, "in-service", "the service before PGPASSWORD")
        chmod(passwords, 0o644)
        assertRefused("postgresql://?service=a", environment, .notPermitted, "may be read by others: chmod 600 it")
    }

    func testServiceMistakesAreConfigurationErrors() throws {
        let services = try file("services.conf", """
            [good]
            host=h
            [psql-only]
            host=h
            gssencmode=require
            [nested]
            service=good
            [broken]
            host h
            """)
        let environment = ["PGSERVICEFILE": services, "PGSYSCONFDIR": folder.path]
        assertRefused("postgresql://?service=missing", environment, .configuration, "definition of service \"missing\" not found")
        assertRefused("postgresql://?service=psql-only", environment, .configuration, "services.conf:5:",
                      "gssencmode is not a setting clerical can honour")
        assertRefused("postgresql://?service=nested", environment, .configuration, "services.conf:7:", "nested service")
        assertRefused("postgresql://?service=broken", environment, .configuration, "services.conf:9:", "expected keyword=value")
        XCTAssertNoThrow(try PostgresAddress(url: "postgresql://?service=good", environment: environment, passwordFile: nil))
    }

    func testAServiceMayListHostsAndTheTargetSession() throws {
        let services = try file("pair.conf", """
            [pair]
            host=db1,db2
            port=5432
            target_session_attrs=read-write
            """)
        let address = try PostgresAddress(url: "postgresql:///linkage?service=pair&user=ana", environment: ["PGSERVICEFILE": services],
                                          passwordFile: nil)
        XCTAssertEqual(address.endpoints, [.tcp(host: "db1", port: 5432), .tcp(host: "db2", port: 5432)])
        XCTAssertEqual(address.targetSession, .readWrite)
    }

    /// A service file or password file with a byte that is not UTF-8 (a comment in Latin-1) is
    /// still read, as libpq reads it: before, the whole file went unread and the service was
    /// "not found" in a file that defines it.
    func testFilesWithBytesThatAreNotUTF8AreStillRead() throws {
        let services = folder.appendingPathComponent("latin1.conf")
        try Data([0x23, 0x20, 0xE9, 0x0A] + Array("[team]\nhost=db1\nuser=ana\n".utf8)).write(to: services)
        let passwords = folder.appendingPathComponent("pgpass")
        try Data([0x23, 0x20, 0xE9, 0x0A] + Array("db1:5432:linkage:ana:secret\n".utf8)).write(to: passwords)
        chmod(passwords.path, 0o600)
        let environment = ["PGSERVICEFILE": services.path]
        let address = try PostgresAddress(url: "postgresql:///linkage?service=team", environment: environment,
                                          passwordFile: PostgresAddress.passwordFileText(["PGPASSFILE": passwords.path]))
        XCTAssertEqual(address.endpoint, .tcp(host: "db1", port: 5432))
        XCTAssertEqual(address.password, "secret")
        let named = try PostgresAddress(url: "postgresql://ana@db1/linkage?passfile=\(passwords.path)", environment: [:], passwordFile: nil)
        XCTAssertEqual(named.password, "secret")
    }

    func assertRefused(_ url: String, _ environment: [String: String], _ status: ExitStatus, _ phrases: String...,
                       line: UInt = #line) {
        do {
            _ = try PostgresAddress(url: url, environment: environment, passwordFile: nil)
            XCTFail("accepted \(url)", line: line)
        } catch {
            XCTAssertEqual(error.status, status, "\(error)", line: line)
            for phrase in phrases { XCTAssertTrue("\(error)".contains(phrase), "«\(phrase)» not in: \(error)", line: line) }
        }
    }
}
