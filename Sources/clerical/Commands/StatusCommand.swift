import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a queue's progress, its model and its decisions.")

    @Argument(help: "The queue: a file or a postgresql:// URL.") var queue: String
    @Flag(help: "Print JSON with stable keys (see README.md).") var json = false

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            let status: QueueStatus
            if PostgresAddress.isURL(queue) {
                let server = try PostgresQueue.open(try PostgresAddress(url: queue))
                defer { server.close() }
                status = try server.status()
            } else {
                try Reviewers.require(.readStatus, queue: queue, account: try Identity.current())
                let handle = try QueueHandle(path: queue)
                defer { handle.close() }
                status = try handle.status()
            }
            print(json ? status.json() : status.text())
        }
    }
}
