import ClericalCore
import Foundation
import GRDB

/// What an import did, for the command to report.
public struct ImportSummary: Sendable, Equatable, Codable {
    public var rows = 0
    public var added = 0
    public var duplicates = 0
    public var pending = 0
    public var decidedByModel = 0
    public var newRecords = 0
    public var newPatterns = 0
    public var comparisons = 0
    public var createdQueue = false
}

/// Imports Splink predictions (and optionally the Splink model JSON) into a queue.
///
/// One transaction: any bad row rolls everything back, and a queue file that the import
/// created is removed again, so a failed import leaves the queue exactly as it was.
///
///     let summary = try SplinkImporter.run(queue: "queue.db", predictions: "predictions.csv",
///                                          model: "model.json")
public enum SplinkImporter {
    /// Called now and then with (bytes read, file size) while rows stream in.
    public typealias Progress = (Int64, Int64) -> Void

    public static func run(queue queuePath: String, predictions predictionsPath: String, model modelPath: String? = nil,
                           band requestedBand: ReviewBand? = nil, progress: Progress? = nil) throws(ClericalError) -> ImportSummary {
        let splinkModel = try modelPath.map { path throws(ClericalError) in try loadModel(path) }
        let reader = try CSVReader(path: predictionsPath)
        guard try reader.nextRow() else {
            throw ClericalError(.dataError, "the file is empty: expected a header row of Splink predictions",
                                at: InputLocation(file: predictionsPath))
        }
        try reader.validateUTF8()
        let header = try (0..<reader.fieldCount).map { i throws(ClericalError) in try reader.string(at: i) }
        let layout = try PredictionsLayout(
            header: header, file: predictionsPath,
            uniqueIdColumn: splinkModel?.uniqueIdColumn ?? "unique_id",
            sourceDatasetColumn: splinkModel?.sourceDatasetColumn ?? "source_dataset",
            gammaPrefix: splinkModel?.gammaPrefix ?? "gamma_")
        if let splinkModel { try checkModelFitsFile(splinkModel, layout, modelPath!, predictionsPath) }

        let queueExisted = FileManager.default.fileExists(atPath: queuePath)
        let database = try QueueFile.open(path: queuePath, create: true)
        do {
            var summary = try database.writeWithoutTransaction { db in
                var summary = ImportSummary()
                try db.inTransaction(.immediate) {
                    var session = try ImportSession(db: db, layout: layout, reader: reader, model: splinkModel,
                                                    requestedBand: requestedBand, predictionsPath: predictionsPath)
                    summary = try session.run(progress: progress)
                    return .commit
                }
                return summary
            }
            try? database.close()
            summary.createdQueue = !queueExisted
            return summary
        } catch {
            try? database.close()
            if !queueExisted { QueueFile.remove(path: queuePath) }
            if let error = error as? ClericalError { throw error }
            throw ClericalError(.ioError, "\(queuePath): \(QueueFile.describe(error)); nothing was imported")
        }
    }

    static func loadModel(_ path: String) throws(ClericalError) -> SplinkModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw ClericalError(.noInput, "\(path): \(reason)")
        }
        return try SplinkModel(json: data, file: path)
    }

    static func checkModelFitsFile(_ model: SplinkModel, _ layout: PredictionsLayout,
                                   _ modelPath: String, _ predictionsPath: String) throws(ClericalError) {
        let inFile = Set(layout.comparisons.map(\.name))
        let inModel = Set(model.comparisons.map(\.name))
        if let extra = layout.comparisons.first(where: { !inModel.contains($0.name) }) {
            throw ClericalError(.dataError, "column \(model.gammaPrefix)\(extra.name) is not a comparison of the model \(modelPath): the model and the predictions do not belong together",
                                at: InputLocation(file: predictionsPath, line: 1, column: nil))
        }
        if let missing = model.comparisons.first(where: { !inFile.contains($0.name) }) {
            throw ClericalError(.dataError, "the model's comparison \"\(missing.name)\" has no column \(model.gammaPrefix)\(missing.name) in \(predictionsPath): the model and the predictions do not belong together",
                                at: InputLocation(file: modelPath))
        }
    }
}

/// One import's state while it streams rows into an open transaction.
private struct ImportSession {
    let db: Database
    let layout: PredictionsLayout
    let reader: CSVReader
    let file: String
    let splinkModel: SplinkModel?
    let band: ReviewBand
    var isNewQueue: Bool
    /// Queue comparisons in queue order, and the CSV column of each one's gamma.
    var comparisons: [ModelStore.StoredComparison]
    var gammaColumns: [Int]
    var weightColumns: [Int?]
    /// Gamma values each comparison accepts; nil while a model-less queue is still learning them.
    var knownGammas: [Set<Int>?]
    /// For a model-less new queue: the level weights read from mw_/bf_ columns.
    var observedWeights: [[Int: Double]]
    var priorWeight: Double?
    var summary = ImportSummary()
    var batchID: Int64 = 0

    init(db: Database, layout: PredictionsLayout, reader: CSVReader, model: SplinkModel?,
         requestedBand: ReviewBand?, predictionsPath: String) throws {
        self.db = db
        self.layout = layout
        self.reader = reader
        self.file = predictionsPath
        self.splinkModel = model
        let settings = try QueueSettings.load(db)
        let stored = try ModelStore.comparisons(db)
        isNewQueue = stored.isEmpty
        if isNewQueue {
            band = requestedBand ?? .default
            var created: [ModelStore.StoredComparison] = []
            let structure = model?.comparisons ?? layout.comparisons.map { Comparison(name: $0.name, levels: []) }
            for (position, comparison) in structure.enumerated() {
                created.append(try ModelStore.insertComparison(db, comparison, position: position))
            }
            comparisons = created
            for (position, field) in layout.fields.enumerated() {
                try db.execute(sql: "INSERT INTO field (position, name) VALUES (?, ?)", arguments: [position, field.name])
            }
            var newSettings = QueueSettings()
            newSettings.linkType = layout.isLinkJob ? "link_only" : "dedupe_only"
            newSettings.reviewBand = band
            newSettings.weightColumns = layout.weightKind?.rawValue
            try newSettings.save(db)
        } else {
            band = requestedBand ?? settings.reviewBand ?? .default
            comparisons = stored
            try Self.checkFileFitsQueue(db, layout: layout, model: model, stored: stored, settings: settings, file: predictionsPath)
        }
        let columnByName = Dictionary(uniqueKeysWithValues: layout.comparisons.map { ($0.name, $0) })
        gammaColumns = comparisons.map { columnByName[$0.comparison.name]!.gamma }
        weightColumns = comparisons.map { columnByName[$0.comparison.name]!.weight }
        let learnsLevels = isNewQueue && model == nil
        knownGammas = comparisons.map { learnsLevels ? nil : Set($0.comparison.levels.map(\.gamma)) }
        observedWeights = comparisons.map { _ in [:] }

        try db.execute(sql: """
            INSERT INTO import_batch (file, imported_at, row_count, added, duplicates, pending) VALUES (?, ?, 0, 0, 0, 0)
            """, arguments: [predictionsPath, Timestamp.now()])
        batchID = db.lastInsertedRowID
        summary.comparisons = comparisons.count
    }

    static func checkFileFitsQueue(_ db: Database, layout: PredictionsLayout, model: SplinkModel?,
                                   stored: [ModelStore.StoredComparison], settings: QueueSettings, file: String) throws {
        let location = InputLocation(file: file, line: 1)
        let queueNames = stored.map(\.comparison.name)
        let fileNames = Set(layout.comparisons.map(\.name))
        guard Set(queueNames) == fileNames else {
            throw ClericalError(.dataError, "the file's comparisons (\(layout.comparisons.map(\.name).joined(separator: ", "))) do not fit the queue's (\(queueNames.joined(separator: ", ")))", at: location)
        }
        let queueFields = try String.fetchAll(db, sql: "SELECT name FROM field ORDER BY position")
        guard queueFields == layout.fields.map(\.name) else {
            throw ClericalError(.dataError, "the file's record columns (\(layout.fields.map(\.name).joined(separator: ", "))) do not fit the queue's (\(queueFields.joined(separator: ", ")))", at: location)
        }
        let linkType = layout.isLinkJob ? "link_only" : "dedupe_only"
        guard settings.linkType == linkType else {
            throw ClericalError(.dataError, "the file is a \(linkType) job but the queue holds a \(settings.linkType ?? "different") job", at: location)
        }
        if let model {
            let queueHasModel = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM model_version WHERE origin = 'splink-json')") ?? false
            guard queueHasModel else {
                throw ClericalError(.dataError, "the queue was imported without a model JSON, so it cannot take one now", at: InputLocation(file: "model JSON"))
            }
            for (k, storedComparison) in stored.enumerated() {
                let modelComparison = model.comparisons.first { $0.name == storedComparison.comparison.name }
                guard modelComparison?.levels == storedComparison.comparison.levels, model.comparisons[k].name == storedComparison.comparison.name else {
                    throw ClericalError(.dataError, "the model's comparison \"\(storedComparison.comparison.name)\" does not fit the queue's model (different levels or order)")
                }
            }
        }
    }

    mutating func run(progress: SplinkImporter.Progress?) throws -> ImportSummary {
        let insertRecord = try RawStatement(db, sql: "INSERT INTO record (source_dataset, unique_id, field_values) VALUES (?, ?, ?)")
        let findRecord = try RawStatement(db, sql: "SELECT id FROM record WHERE source_dataset = ? AND unique_id = ?")
        let insertPair = try RawStatement(db, sql: """
            INSERT INTO pair (left_record_id, right_record_id, pattern_id, imported_match_weight, imported_match_probability,
                              match_key, import_batch_id, state, priority)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        var records = RecordDirectory(mustLookUp: !isNewQueue)
        var patterns = try PatternDirectory(db)
        var gammas = [Int](repeating: 0, count: comparisons.count)
        var json = JSONArrayWriter()
        let pendingText = Array("pending".utf8), autoText = Array("auto".utf8)
        var nextProgressRow = 0

        while try reader.nextRow() {
            summary.rows += 1
            let line = reader.rowLine
            guard reader.fieldCount == layout.header.count else {
                throw ClericalError(.dataError, "this row has \(reader.fieldCount) fields but the header has \(layout.header.count)",
                                    at: reader.rowLocation())
            }
            try reader.validateUTF8()
            let weight = try number(layout.matchWeight)
            let probability = try number(layout.matchProbability)
            guard probability >= 0, probability <= 1 else {
                throw error(layout.matchProbability, "match_probability is \(probability); a probability must lie in [0, 1]")
            }
            try readGammas(into: &gammas)
            if isNewQueue && splinkModel == nil { try observeWeights(gammas, rowWeight: weight) }

            let leftID = try records.id(side: .left, session: self, insert: insertRecord, find: findRecord, json: &json, summary: &summary)
            let rightID = try records.id(side: .right, session: self, insert: insertRecord, find: findRecord, json: &json, summary: &summary)
            let patternID = try patterns.id(for: gammas, db: db, rowWeight: weight, summary: &summary)

            let pending = band.contains(matchWeight: weight, matchProbability: probability)
            insertPair.bind(1, leftID)
            insertPair.bind(2, rightID)
            insertPair.bind(3, patternID)
            insertPair.bind(4, weight)
            insertPair.bind(5, probability)
            try reader.withBytes(at: layout.matchKey ?? 0) { matchKey in
                if layout.matchKey == nil { insertPair.bindNull(6) } else { insertPair.bind(6, borrowing: matchKey) }
                insertPair.bind(7, batchID)
                try (pending ? pendingText : autoText).withUnsafeBufferPointer { state in
                    insertPair.bind(8, borrowing: state)
                    insertPair.bind(9, abs(probability - 0.5))
                    try insertPair.step()
                }
            }
            if insertPair.changes == 0 {
                summary.duplicates += 1
            } else {
                summary.added += 1
                patterns.count(patternID)
                if pending { summary.pending += 1 } else { summary.decidedByModel += 1 }
            }
            if let progress, summary.rows >= nextProgressRow {
                progress(reader.bytesRead, reader.fileSize)
                nextProgressRow = summary.rows + 16_384
            }
            _ = line
        }
        guard summary.rows > 0 else {
            throw ClericalError(.dataError, "the file has a header but no rows: there is nothing to import", at: InputLocation(file: file))
        }
        progress?(reader.fileSize, reader.fileSize)
        try finish(patterns: patterns)
        return summary
    }

    // MARK: - Row fields

    func number(_ column: Int) throws -> Double {
        guard let value = reader.double(at: column) else {
            let found = (try? reader.string(at: column)) ?? "?"
            throw error(column, "\(layout.header[column]): expected a number, found \"\(found)\"")
        }
        return value
    }

    func error(_ column: Int, _ message: String) -> ClericalError {
        ClericalError(.dataError, message, at: reader.location(field: column))
    }

    mutating func readGammas(into gammas: inout [Int]) throws {
        for k in comparisons.indices {
            let column = gammaColumns[k]
            guard let gamma = reader.integer(at: column) else {
                let found = (try? reader.string(at: column)) ?? "?"
                throw error(column, "\(layout.header[column]): expected a whole-number gamma value, found \"\(found)\"")
            }
            if let known = knownGammas[k] {
                guard known.contains(gamma) else {
                    let levels = known.sorted(by: >).map(String.init).joined(separator: ", ")
                    throw error(column, "\(layout.header[column]): gamma \(gamma) is not a level of comparison \"\(comparisons[k].comparison.name)\" (its levels: \(levels))")
                }
            } else if gamma < -1 {
                throw error(column, "\(layout.header[column]): gamma \(gamma) is below -1, the null level")
            }
            gammas[k] = gamma
            if let weightColumn = weightColumns[k] {
                let value = try number(weightColumn)
                if layout.weightKind == .bayesFactor && value <= 0 {
                    throw error(weightColumn, "\(layout.header[weightColumn]): a Bayes factor must be positive, found \(value)")
                }
            }
        }
    }

    /// A model-less queue learns its level weights from the mw_/bf_ columns, and λ from the
    /// first row: match_weight = log2(λ/(1-λ)) + Σ level weights + term-frequency adjustments.
    mutating func observeWeights(_ gammas: [Int], rowWeight: Double) throws {
        var sum = 0.0
        for k in comparisons.indices {
            guard let column = weightColumns[k] else { continue }
            let raw = try number(column)
            let weight = layout.weightKind == .bayesFactor ? log2(raw) : raw
            if observedWeights[k][gammas[k]] == nil { observedWeights[k][gammas[k]] = weight }
            sum += weight
        }
        if priorWeight == nil, layout.weightKind != nil {
            var adjustments = 0.0
            for column in layout.termFrequencyAdjustments {
                let raw = try number(column)
                adjustments += layout.weightKind == .bayesFactor ? log2(raw) : raw
            }
            priorWeight = rowWeight - sum - adjustments
        }
        for k in comparisons.indices where observedWeights[k][gammas[k]] == nil {
            observedWeights[k][gammas[k]] = .nan  // level seen, weight unknown (no mw_/bf_ column)
        }
    }

    // MARK: - Finishing

    mutating func finish(patterns: PatternDirectory) throws {
        try patterns.saveCounts(db)
        if isNewQueue {
            let model: FellegiSunterModel
            if let splinkModel {
                model = splinkModel.fellegiSunter
                try ModelStore.insertModelVersion(db, model, origin: .splinkJSON, splinkJSON: splinkModel.json,
                                                  note: "imported from the Splink model JSON")
            } else {
                model = try learnedModel()
                let note = layout.weightKind == nil
                    ? "derived from the predictions file; it had no mw_/bf_ columns, so level weights are unknown"
                    : "derived from the predictions file's \(layout.weightKind!.rawValue)_ columns"
                try ModelStore.insertModelVersion(db, model, origin: .predictions, note: note)
            }
            if layout.weightKind != nil || splinkModel != nil {
                try ModelStore.rescorePatterns(db, with: model)
            }
        } else if let current = try ModelStore.currentModel(db) {
            try ModelStore.rescorePatterns(db, with: current.model)
        }
        try db.execute(sql: "UPDATE import_batch SET row_count = ?, added = ?, duplicates = ?, pending = ? WHERE id = ?",
                       arguments: [summary.rows, summary.added, summary.duplicates, summary.pending, batchID])
    }

    /// Levels are the gamma values seen, highest first, the null level first of all.
    mutating func learnedModel() throws -> FellegiSunterModel {
        var parameters: [[LevelParameters]] = []
        for k in comparisons.indices {
            let name = comparisons[k].comparison.name
            let gammasSeen = observedWeights[k].keys.sorted { ($0 == -1 ? Int.max : $0) > ($1 == -1 ? Int.max : $1) }
            var levelParameters: [LevelParameters] = []
            for gamma in gammasSeen {
                let label = gamma == -1 ? "\(name) is NULL" : (gamma == 0 ? "All other comparisons" : "\(name) level \(gamma)")
                try ModelStore.insertLevel(db, ComparisonLevel(gamma: gamma, label: label, isNull: gamma == -1), into: &comparisons[k])
                let weight = observedWeights[k][gamma]!
                levelParameters.append(gamma == -1 ? .null : LevelParameters(m: nil, u: nil, weight: weight.isNaN ? 0 : weight))
            }
            parameters.append(levelParameters)
        }
        let prior = priorWeight ?? 0
        let lambda = min(max(MatchWeight.probability(prior), 1e-12), 1 - 1e-12)
        return FellegiSunterModel(comparisons: comparisons.map(\.comparison), lambda: lambda, parameters: parameters)
    }
}

// MARK: - Directories: ids for records and patterns

/// Maps (source dataset, unique id) to record ids, inserting records the first time they
/// are seen. The cache is bounded so memory stays flat; past it, SQLite's index answers.
private struct RecordDirectory {
    enum Side { case left, right }

    private struct Key: Hashable {
        var dataset: Int32
        var uniqueID: String
    }

    private static let cacheLimit = 1_000_000
    private var cache: [Key: Int64] = [:]
    private var datasets: [String: Int32] = [:]
    private var mustLookUp: Bool

    init(mustLookUp: Bool) {
        self.mustLookUp = mustLookUp
    }

    mutating func id(side: Side, session: ImportSession, insert: RawStatement, find: RawStatement,
                     json: inout JSONArrayWriter, summary: inout ImportSummary) throws -> Int64 {
        let reader = session.reader, layout = session.layout
        let uidColumn = side == .left ? layout.uniqueIdLeft : layout.uniqueIdRight
        guard !reader.isEmpty(at: uidColumn) else {
            throw session.error(uidColumn, "\(layout.header[uidColumn]) is empty: every record needs a unique id")
        }
        let uniqueID = try reader.string(at: uidColumn)
        let datasetColumn = side == .left ? layout.sourceDatasetLeft : layout.sourceDatasetRight
        let dataset = try datasetColumn.map { column throws(ClericalError) in try reader.string(at: column) } ?? ""
        let datasetIndex: Int32
        if let index = datasets[dataset] {
            datasetIndex = index
        } else {
            datasetIndex = Int32(datasets.count)
            datasets[dataset] = datasetIndex
        }
        let key = Key(dataset: datasetIndex, uniqueID: uniqueID)
        if let id = cache[key] { return id }

        if mustLookUp {
            find.bind(1, copying: dataset)
            find.bind(2, copying: uniqueID)
            if let id = try find.step() {
                remember(key, id)
                return id
            }
        }
        json.reset()
        for field in layout.fields {
            let column = side == .left ? field.left : field.right
            if reader.isEmpty(at: column) {
                json.appendNull()
            } else {
                reader.withBytes(at: column) { json.appendString($0) }
            }
        }
        insert.bind(1, copying: dataset)
        insert.bind(2, copying: uniqueID)
        try json.finish { insert.bind(3, borrowing: $0); try insert.step() }
        let id = insert.lastInsertedRowID
        summary.newRecords += 1
        remember(key, id)
        return id
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
private struct PatternDirectory {
    private var ids: [[Int]: Int64] = [:]
    private var addedPairs: [Int64: Int] = [:]

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
        let update = try db.makeStatement(sql: "UPDATE pattern SET pair_count = pair_count + ? WHERE id = ?")
        for (id, count) in addedPairs { try update.execute(arguments: [count, id]) }
    }
}

/// Writes a JSON array of strings and nulls straight from CSV bytes, without Strings.
private struct JSONArrayWriter {
    private var bytes: [UInt8] = []
    private var count = 0

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(UInt8(ascii: "["))
        count = 0
    }

    private mutating func separate() {
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        count += 1
    }

    mutating func appendNull() {
        separate()
        bytes.append(contentsOf: [110, 117, 108, 108])  // null
    }

    mutating func appendString(_ value: UnsafeBufferPointer<UInt8>) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for byte in value {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)]); bytes.append(hex[Int(byte & 0xF)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func finish(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        bytes.append(UInt8(ascii: "]"))
        try bytes.withUnsafeBufferPointer(body)
    }
}
