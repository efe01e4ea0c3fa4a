import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a queue: SQLite integrity, the append-only triggers and the decision and reveal hash chains.",
        discussion: "Exits 0 when the queue is sound and 65 when anything is wrong, naming the first bad decision row.")

    @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            let report: VerificationReport
            var place = queue
            var checks = "integrity check ok, append-only triggers in place"
            if PostgresAddress.isURL(queue) {
                let server = try PostgresQueue.open(try PostgresAddress(url: queue))
                defer { server.close() }
                try server.require(.verify)
                report = try PostgresVerification.run(server)
                place = "\(server.address)"
                checks = "append-only triggers in place and enabled"
            } else {
                try Reviewers.require(.verify, queue: queue, account: try Identity.current())
                report = try QueueVerification.run(queue: queue)
            }
            if report.isSound {
                print("\(place): sound — \(checks), \(report.decisions) decisions and \(report.reveals) reveals chained, head \(report.decisionHead ?? "none")")
                return
            }
            for problem in report.problems { print("\(place): \(problem)") }
            throw ClericalError(.dataError, "\(place): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found; the queue cannot be trusted as it is")
        }
    }
}
