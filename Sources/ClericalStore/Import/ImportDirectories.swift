import ClericalCore
import GRDB

/// Maps (source dataset, unique id) to record ids, inserting records the first time they
/// are seen. The cache is bounded so memory stays flat; past it, SQLite's index answers.
/// Records streamed to a sink (a new queue on a server) are numbered here and all stay in the
/// cache, which then grows with the number of records (about 100 bytes each).
struct RecordDirectory {
    private struct Key: Hashable {
        var dataset: Int32
        var uniqueID: String
    }

    private static let cacheLimit = 1_000_000
    private var cache: [Key: Int64] = [:]
    private var datasets: [String: Int32] = [:]
    private var mustLookUp: Bool
    /// Where new records go instead of the file, numbered here from 1.
    private let sink: (any ImportRowSink)?
    private var nextID: Int64 = 1

    init(mustLookUp: Bool, sink: (any ImportRowSink)? = nil) {
        self.mustLookUp = mustLookUp && sink == nil
        self.sink = sink
    }

    /// The record's id; `values` (its JSON array) is stored only when the record is new.
    mutating func id(dataset datasetBytes: UnsafeBufferPointer<UInt8>?, uniqueID uniqueIDBytes: UnsafeBufferPointer<UInt8>,
                     values: UnsafeBufferPointer<UInt8>, insert: RawStatement, find: RawStatement) throws -> (id: Int64, isNew: Bool) {
        // The parser has checked that the row is UTF-8.
        let uniqueID = String(decoding: uniqueIDBytes, as: UTF8.self)
        let dataset = datasetBytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let datasetIndex: Int32
        if let index = datasets[dataset] {
            datasetIndex = index
        } else {
            datasetIndex = Int32(datasets.count)
            datasets[dataset] = datasetIndex
        }
        let key = Key(dataset: datasetIndex, uniqueID: uniqueID)
        if let id = cache[key] { return (id, false) }
        if let sink {
            let id = nextID
            nextID += 1
            try sink.record(id: id, dataset: datasetBytes, uniqueID: uniqueIDBytes, values: values)
            cache[key] = id
            return (id, true)
        }

        if mustLookUp {
            find.bind(1, copying: dataset)
            find.bind(2, copying: uniqueID)
            if let id = try find.step() {
                remember(key, id)
                return (id, false)
            }
        }
        insert.bind(1, copying: dataset)
        insert.bind(2, copying: uniqueID)
        insert.bind(3, borrowing: values)
        try insert.step()
        let id = insert.lastInsertedRowID
        remember(key, id)
        return (id, true)
    }

    private mutating func remember(_ key: Key, _ id: Int64) {
        if cache.count >= Self.cacheLimit {
            cache.removeAll(keepingCapacity: true)
            mustLookUp = true
        }
        cache[key] = id
    }
}

/// Maps comparison vectors to pattern ids. Patterns are few (thousands), so all stay in memory.
struct PatternDirectory {
    private var ids: [[Int]: Int64] = [:]
    private(set) var addedPairs: [Int64: Int] = [:]

    init(_ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT id, gammas FROM pattern") {
            ids[PatternKey.gammas(row["gammas"])] = row["id"]
        }
    }

    mutating func id(for gammas: [Int], db: Database, rowWeight: Double, summary: inout ImportSummary) throws -> Int64 {
        if let id = ids[gammas] { return id }
        // Scored for real when the import finishes; the row's weight stands in until then.
        try db.execute(sql: "INSERT INTO pattern (gammas, match_weight, match_probability) VALUES (?, ?, ?)",
                       arguments: [PatternKey.text(gammas), rowWeight, MatchWeight.probability(rowWeight)])
        let id = db.lastInsertedRowID
        ids[gammas] = id
        summary.newPatterns += 1
        return id
    }

    mutating func count(_ id: Int64) { addedPairs[id, default: 0] += 1 }

    func saveCounts(_ db: Database) throws {
        // Every new pair is open ('pending'), so open_count grows with pair_count.
        let update = try db.makeStatement(sql: "UPDATE pattern SET pair_count = pair_count + ?, open_count = open_count + ? WHERE id = ?")
        for (id, count) in addedPairs { try update.execute(arguments: [count, count, id]) }
    }
}
