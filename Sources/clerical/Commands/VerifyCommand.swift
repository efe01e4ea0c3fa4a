import ArgumentParser
import ClericalCore
import ClericalStore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a queue: SQLite integrity, the append-only triggers and the decision and reveal hash chains.",
        discussion: "Exits 0 when the queue is sound and 65 when anything is wrong, naming the first bad decision row.")

    @Argument(help: "The queue file.") var queue: String

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            try Reviewers.require(.verify, queue: queue, account: try Identity.current())
            let report = try QueueVerification.run(queue: queue)
            if report.isSound {
                print("\(queue): sound — integrity check ok, append-only triggers in place, \(report.decisions) decisions and \(report.reveals) reveals chained")
                return
            }
            for problem in report.problems { print("\(queue): \(problem)") }
            throw ClericalError(.dataError, "\(queue): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found; the queue cannot be trusted as it is")
        }
    }
}
