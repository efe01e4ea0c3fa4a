import ClericalCore
import Foundation
import GRDB

/// Opens queue files: one SQLite file per queue, WAL, synchronous=FULL, foreign keys on.
///
///     let queue = try QueueFile.open(path: "queue.db")            // must exist
///     let fresh = try QueueFile.open(path: "new.db", create: true)
package enum QueueFile {
    /// Opens a queue, creating and migrating it when `create` is set and the file does not exist.
    ///
    /// - Parameter deferWAL: leave a newly created file in rollback-journal mode, for a first
    ///   bulk import that writes every page once instead of twice; call `enableWAL` after it.
    package static func open(path: String, create: Bool = false, deferWAL: Bool = false) throws(ClericalError) -> DatabaseQueue {
        if QueueLocation.isPostgreSQL(path) {
            throw ClericalError(.usage, "this takes a queue file, not a URL: `clerical copy` the queue to a file to run it there")
        }
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create {
            throw ClericalError(.noInput, "\(path): no such queue file")
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .callback(QueueFile.waitWhileBusy)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw ClericalError(.dataError, "\(path): not a clerical queue (not a SQLite database)")
        } catch {
            throw ClericalError(exists ? .ioError : .cannotCreate, "\(path): cannot open: \(describe(error))")
        }
        do {
            let isEmpty = try queue.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") == 0
            }
            if isEmpty {
                guard create else {
                    throw ClericalError(.dataError, "\(path): not a clerical queue (an empty SQLite database); create one with `clerical import`")
                }
            } else {
                let applicationID = try queue.read { db in try Int32.fetchOne(db, sql: "PRAGMA application_id") }
                guard applicationID == QueueSchema.applicationID else {
                    throw ClericalError(.dataError, "\(path): not a clerical queue (a SQLite database of something else)")
                }
            }
            try QueueSchema.migrator.migrate(queue)
            if !(isEmpty && deferWAL) { enableWAL(queue) }
        } catch let error as ClericalError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw ClericalError(.dataError, "\(path): not a clerical queue (not a SQLite database)")
        } catch {
            throw ClericalError(.ioError, "\(path): \(describe(error))")
        }
        return queue
    }

    /// How long a writer waits for another process's transaction before giving up with a
    /// clear "try again" (a person never sees "database is locked").
    static let busySeconds = 10.0

    /// SQLite's busy handler: short sleeps with jitter, growing from 0.1 ms to 2 ms, then a
    /// clear "try again" after about `busySeconds` (SQLite's own handler sleeps up to 100 ms at
    /// a time). Reviewer processes mostly queue on `WriterTurn` instead and rarely get here.
    @Sendable static func waitWhileBusy(_ tries: Int) -> Bool {
        let ceiling = min(2_000, 100 << min(tries / 8, 5))  // µs
        guard Double(tries) * 0.0015 < busySeconds else { return false }
        usleep(UInt32(Int.random(in: (ceiling / 2)...ceiling)))
        return true
    }

    /// Opens the queue, runs `body` in one read or write transaction, closes it; any error
    /// comes back as a `ClericalError` naming the file.
    static func using<T>(_ path: String, writing: Bool = false, _ body: (Database) throws -> T) throws(ClericalError) -> T {
        let database = try open(path: path)
        defer { try? database.close() }
        do {
            return writing ? try database.write(body) : try database.read(body)
        } catch {
            throw ReviewQueue.clericalError(error, path: path)
        }
    }

    /// Reads a queue file through `QueueReading`, for code that holds no GRDB handle (a
    /// server's import reads what it added to its scratch copy).
    package static func reading<T>(_ path: String, _ body: (any QueueReading) throws -> T) throws(ClericalError) -> T {
        try using(path) { db in try body(db) }
    }

    /// Puts the queue in WAL mode (a no-op when it already is): readers never block the writer.
    /// Best effort: another process holding the file in rollback mode makes it wait for later.
    static func enableWAL(_ queue: DatabaseQueue) {
        try? queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
    }

    /// Removes a queue file and its WAL companions: used to undo the creation of a queue
    /// whose first import failed, so a failed import leaves nothing behind.
    package static func remove(path: String) {
        for suffix in ["", "-wal", "-shm", "-journal", WriterTurn.suffix] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}

/// Reviewer processes take turns to write through a kernel lock on a file beside the queue:
/// waiters sleep in the kernel and the next one wakes as soon as the lock is free, so many
/// processes share one queue without polling (which, on a busy server, starves the writer).
/// SQLite's own locking still guards the file; this only orders clerical's writers.
final class WriterTurn {
    static let suffix = "-writers"
    private let descriptor: Int32

    /// nil when the lock file cannot be opened (a read-only directory): SQLite's busy
    /// handler then does the waiting alone.
    init?(queuePath: String) {
        let descriptor = open(queuePath + Self.suffix, O_RDONLY | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func take() { while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {} }
    /// Lets go, then yields the processor: a waiter the kernel just woke gets the lock
    /// instead of this process barging back in first.
    func release() {
        flock(descriptor, LOCK_UN)
        sched_yield()
    }
}
