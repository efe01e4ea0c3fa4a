import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Move a queue between a SQLite file and a PostgreSQL schema, in either direction.",
        discussion: """
            One of SOURCE and DEST is a queue file, the other a URL: \
            postgresql://user@host:port/dbname?schema=NAME[&sslmode=disable|prefer|require|verify-ca|verify-full]\
            [&sslrootcert=FILE|system][&sslcert=FILE&sslkey=FILE], or postgresql:///?service=NAME&schema=NAME. \
            Credentials and TLS follow libpq: a connection service (PGSERVICE; PGSERVICEFILE, ~/.pg_service.conf, \
            PGSYSCONFDIR), PGPASSWORD, ~/.pgpass, PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE, \
            PGSSLROOTCERT (else ~/.postgresql/root.crt), PGSSLCERT, PGSSLKEY, PGAPPNAME, PGCONNECT_TIMEOUT. \
            The destination must be new (a file that does not exist, a schema with no tables). \
            It is written in one transaction and verified before the copy reports success, with the \
            source's decision-chain head; a copy that fails leaves nothing behind. On PostgreSQL the \
            account is the database role you log in as; each registered reviewer that is a database role \
            is granted what working the queue needs.
            """)

    @Argument(help: "The queue to copy: a file or a postgresql:// URL.") var source: String
    @Argument(help: "Where to copy it: a new file or a postgresql:// URL.") var destination: String

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            let summary = try QueueCopy.run(from: source, to: destination, account: try Identity.current())
            let place = PostgresAddress.isURL(destination) ? "\(try PostgresAddress(url: destination))" : destination
            print("\(place): copied \(summary.rows) rows; verified: \(summary.decisions) decisions and \(summary.reveals) reveals chained, head \(summary.decisionHead ?? "none")")
            if !summary.reviewersWithoutRole.isEmpty {
                // The others were granted the queue's privileges; these cannot log in until they have a role.
                print("reviewers with no database role of that name (create one, then `clerical reviewers add \(place) NAME --role …`): \(summary.reviewersWithoutRole.joined(separator: ", "))")
            }
        }
    }
}
