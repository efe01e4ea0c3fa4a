import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore
import Foundation

@main
struct Clerical: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clerical",
        abstract: "Clerical review of record-linkage pairs: a SQLite review queue for Splink output.",
        subcommands: [DemoCommand.self, ImportCommand.self, StatusCommand.self, ReviewCommand.self, ReestimateCommand.self, SimulateCommand.self, ExportCommand.self, VerifyCommand.self, ReviewersCommand.self, QACommand.self, DashboardCommand.self, ImportLabelsCommand.self, CopyCommand.self]
    )
}

/// Runs a full-screen terminal session on the main thread, where curses must stay; a
/// session ended by a signal exits 128 + the signal.
func runningScreen(_ session: @MainActor () throws(ClericalError) -> Int32) throws {
    let outcome = MainActor.assumeIsolated { () -> Result<Int32, ClericalError> in
        do throws(ClericalError) {
            return .success(try session())
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

/// Runs a command body, printing a `ClericalError` as one line on stderr and exiting with
/// its sysexits status.
func reportingErrors(_ body: () throws(ClericalError) -> Void) throws {
    do {
        try body()
    } catch {
        FileHandle.standardError.write(Data("clerical: \(error)\n".utf8))
        throw ExitCode(error.status.rawValue)
    }
}

/// The queue on a PostgreSQL server when `queue` is a URL; nil for a file.
func onServer(_ queue: String) throws(ClericalError) -> PostgresQueue? {
    PostgresAddress.isURL(queue) ? try PostgresQueue.open(try PostgresAddress(url: queue)) : nil
}

/// A queue to watch whole: a file, or a schema on a PostgreSQL server.
func openQueueWatch(_ queue: String) throws(ClericalError) -> any QueueWatch {
    if PostgresAddress.isURL(queue) { return try PostgresQueueHandle(try PostgresAddress(url: queue)) }
    return try QueueHandle(path: queue)
}
