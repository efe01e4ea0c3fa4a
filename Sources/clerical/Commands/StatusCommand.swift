import ArgumentParser
import ClericalCore
import ClericalStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a queue's progress, its model and its decisions.")

    @Argument(help: "The queue: a file or a postgresql:// URL.") var queue: String
    @Flag(help: "Print JSON with stable keys (see README.md).") var json = false

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            let handle = try openQueueWatch(queue)
            defer { handle.close() }
            try handle.require(.readStatus)
            let status = try handle.status()
            print(json ? status.json() : status.text())
        }
    }
}

