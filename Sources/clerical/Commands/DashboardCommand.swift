import ArgumentParser
import ClericalCore
import ClericalTUI
import Foundation

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Supervisors: the queue live — progress, reviewers, claims, the model; expire or reassign a claim.",
        discussion: "Refreshes once a second, reading only the decisions written since. `status --json` carries the same figures under \"team\".")

    @Argument(help: "The queue file.") var queue: String

    func run() throws {
        let outcome = MainActor.assumeIsolated { () -> Result<Int32, ClericalError> in
            do throws(ClericalError) {
                return .success(try DashboardRunner.run(queuePath: queue))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let status):
            if status != 0 { throw ExitCode(status) }
        case .failure(let error):
            try reportingErrors { () throws(ClericalError) in throw error }
        }
    }
}
