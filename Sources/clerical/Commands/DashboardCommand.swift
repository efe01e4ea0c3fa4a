import ArgumentParser
import ClericalCore
import ClericalTUI
import Foundation

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Supervisors: the queue live — progress, reviewers, claims, the model; expire or reassign a claim.",
        discussion: "Refreshes once a second, reading only the decisions written since. `status --json` carries the same figures under \"team\".")

    @Argument(help: "The queue: a file or a postgresql:// URL.") var queue: String

    func run() throws {
        try runningScreen { () throws(ClericalError) in
            let handle = try openQueueWatch(queue)
            defer { handle.close() }
            return try DashboardRunner.run(handle)
        }
    }
}
