import ClericalCore
import Foundation
import GRDB

/// Opens queue files: one SQLite file per queue, WAL, synchronous=FULL, foreign keys on.
///
///     let queue = try QueueFile.open(path: "queue.db")            // must exist
///     let fresh = try QueueFile.open(path: "new.db", create: true)
public enum QueueFile {
    /// Opens a queue, creating and migrating it when `create` is set and the file does not exist.
    public static func open(path: String, create: Bool = false) throws(ClericalError) -> DatabaseQueue {
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create {
            throw ClericalError(.noInput, "\(path): no such queue file")
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
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
                try queue.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                }
            } else {
                let applicationID = try queue.read { db in try Int32.fetchOne(db, sql: "PRAGMA application_id") }
                guard applicationID == QueueSchema.applicationID else {
                    throw ClericalError(.dataError, "\(path): not a clerical queue (a SQLite database of something else)")
                }
            }
            try QueueSchema.migrator.migrate(queue)
        } catch let error as ClericalError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw ClericalError(.dataError, "\(path): not a clerical queue (not a SQLite database)")
        } catch {
            throw ClericalError(.ioError, "\(path): \(describe(error))")
        }
        return queue
    }

    /// Removes a queue file and its WAL companions: used to undo the creation of a queue
    /// whose first import failed, so a failed import leaves nothing behind.
    static func remove(path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}
