import ArgumentParser
import ClericalCore
import ClericalStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a queue's progress, its model and its decisions.")

    @Argument(help: "The queue file.") var queue: String
    @Flag(help: "Print JSON with stable keys (see README.md).") var json = false

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            try Reviewers.require(.readStatus, queue: queue, account: try Identity.current())
            let handle = try QueueHandle(path: queue)
            defer { handle.close() }
            let status = try handle.status()
            print(json ? status.json() : status.text())
        }
    }
}
