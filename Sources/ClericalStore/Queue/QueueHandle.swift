import ClericalCore
import Foundation
import GRDB

/// An open queue, for the screens and commands that read it as a whole (`status`, the
/// dashboard). It speaks the project's types only: what opens the file, and which database
/// does the reading, stay inside the store, so a second backend can stand behind it.
///
///     let queue = try QueueHandle(path: "queue.db")
///     print(try queue.status().text())
public final class QueueHandle {
    public let path: String
    let database: DatabaseQueue

    /// Opens an existing queue (migrating it if it is older than this build).
    public init(path: String) throws(ClericalError) {
        self.path = path
        database = try QueueFile.open(path: path)
    }

    /// Counts, decisions, models, the team's figures and the linkage quality.
    public func status() throws(ClericalError) -> QueueStatus {
        try QueueStatus.read(database, path: path)
    }

    /// What a live screen refreshes every second (see `QueueStatus.live`).
    public func live() throws(ClericalError) -> QueueStatus.Live {
        try QueueStatus.live(database)
    }

    /// The team's figures, read incrementally into `activity`.
    public func team(_ activity: TeamActivity, now: Date = Date()) throws(ClericalError) -> TeamFigures {
        try activity.update(database, now: now)
    }

    public func close() {
        try? database.close()
    }
}
