import ClericalCore
import Foundation
import GRDB

/// One import's writer: checks that the file fits the queue, then stores the parser's
/// batches inside the open transaction.
struct ImportSession {
    let db: Database
    let layout: PredictionsLayout
    let file: String
    let splinkModel: SplinkModel?
    let band: ReviewBand
    let isNewQueue: Bool
    /// Queue comparisons in queue order.
    var comparisons: [ModelStore.StoredComparison]
    let plan: ParsePlan
    var summary = ImportSummary()
    let batchID: Int64

    static let batchSize = 2048

    init(db: Database, layout: PredictionsLayout, model: SplinkModel?, requestedBand: ReviewBand?,
         predictionsPath: String) throws {
        self.db = db
        self.layout = layout
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
            newSettings.uniqueIdColumn = model?.uniqueIdColumn ?? "unique_id"
            newSettings.sourceDatasetColumn = model?.sourceDatasetColumn ?? "source_dataset"
            try newSettings.save(db)
        } else {
            band = requestedBand ?? settings.reviewBand ?? .default
            comparisons = stored
            try Self.checkFileFitsQueue(db, layout: layout, model: model, stored: stored, settings: settings, file: predictionsPath)
        }
        let columnByName = Dictionary(uniqueKeysWithValues: layout.comparisons.map { ($0.name, $0) })
        let learnsWeights = isNewQueue && model == nil
        plan = ParsePlan(
            layout: layout, file: predictionsPath,
            gammaColumns: comparisons.map { columnByName[$0.comparison.name]!.gamma },
            weightColumns: comparisons.map { columnByName[$0.comparison.name]!.weight },
            comparisonNames: comparisons.map(\.comparison.name),
            knownGammas: comparisons.map { learnsWeights ? nil : Set($0.comparison.levels.map(\.gamma)) },
            learnsWeights: learnsWeights)

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
        guard Set(queueNames) == Set(layout.comparisons.map(\.name)) else {
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
                throw ClericalError(.dataError, "the queue was imported without a model JSON, so it cannot take one now", at: InputLocation(file: file))
            }
            for (k, storedComparison) in stored.enumerated() {
                guard model.comparisons[k].name == storedComparison.comparison.name,
                      model.comparisons[k].levels == storedComparison.comparison.levels
                else {
                    throw ClericalError(.dataError, "the model's comparison \"\(model.comparisons[k].name)\" does not fit the queue's model (different comparisons, levels or order)")
                }
            }
        }
    }

    // MARK: - Writing

    mutating func run(reader: CSVReader, progress: SplinkImporter.Progress?, rows sink: (any ImportRowSink)?) throws -> ImportSummary {
        let insertRecord = try RawStatement(db, sql: "INSERT INTO record (source_dataset, unique_id, field_values) VALUES (?, ?, ?)")
        let findRecord = try RawStatement(db, sql: "SELECT id FROM record WHERE source_dataset = ? AND unique_id = ?")
        let insertPair = try RawStatement(db, sql: """
            INSERT INTO pair (left_record_id, right_record_id, pattern_id, imported_match_weight, imported_match_probability,
                              match_key, import_batch_id, state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        // A pair row never grows once written (claims live in their own table, and the states
        // are of one length), so a bulk load may pack the pages full.
        // Into an empty queue, secondary indexes are built once at the end (a sort) rather
        // than grown row by row (random writes all over the file).
        let deferredIndexes = isNewQueue ? try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pair' AND sql IS NOT NULL
            """).map { (name: $0["name"] as String, sql: $0["sql"] as String) } : []
        for index in deferredIndexes { try db.execute(sql: "DROP INDEX \(index.name)") }

        var records = RecordDirectory(mustLookUp: !isNewQueue, sink: sink)
        // Streamed, a pair seen twice is caught here rather than by the file's unique index.
        var streamedPairs = Set<PairKey>()
        var patterns = try PatternDirectory(db)
        let comparisonCount = comparisons.count
        // Every new pair waits as 'pending'; its pattern decides whether people or the model
        // take it (PatternBand, at the end).
        let pendingText = Array("pending".utf8)
        var gammas = [Int](repeating: 0, count: comparisonCount)

        let channel = BatchChannel(capacity: 4)
        ParserThread.start(RowParser(reader: reader, plan: plan), batchSize: Self.batchSize, channel: channel)
        defer {
            channel.cancel()
            channel.waitForProducer()
        }
        var learned: LearnedWeights?
        while learned == nil {
            let batch: ParsedBatch
            switch channel.receive() {
            case .failed(let error): throw error
            case .finished(let weights): learned = weights; continue
            case .batch(let next): batch = next
            }
            try batch.text.withUnsafeBufferPointer { text in
                func bytes(_ row: Int, _ span: ParsedBatch.Span) -> UnsafeBufferPointer<UInt8>? {
                    batch.span(row, span).map { UnsafeBufferPointer(rebasing: text[$0]) }
                }
                for row in 0..<batch.count {
                    summary.rows += 1
                    let left = try records.id(dataset: bytes(row, .leftDataset), uniqueID: bytes(row, .leftID)!,
                                              values: bytes(row, .leftValues)!, insert: insertRecord, find: findRecord)
                    let right = try records.id(dataset: bytes(row, .rightDataset), uniqueID: bytes(row, .rightID)!,
                                               values: bytes(row, .rightValues)!, insert: insertRecord, find: findRecord)
                    if left.isNew { summary.newRecords += 1 }
                    if right.isNew { summary.newRecords += 1 }
                    for k in 0..<comparisonCount { gammas[k] = batch.gammas[row * comparisonCount + k] }
                    let weight = batch.matchWeights[row], probability = batch.matchProbabilities[row]
                    let patternID = try patterns.id(for: gammas, db: db, rowWeight: weight, summary: &summary)

                    let isNew: Bool
                    if let sink {
                        // Streamed pairs are numbered here, from 1 in a new queue.
                        isNew = streamedPairs.insert(PairKey(left: left.id, right: right.id)).inserted
                        if isNew {
                            try sink.pair(id: Int64(summary.added + 1), left: left.id, right: right.id, pattern: patternID, weight: weight,
                                          probability: probability, matchKey: bytes(row, .matchKey), batch: batchID)
                        }
                    } else {
                        insertPair.bind(1, left.id)
                        insertPair.bind(2, right.id)
                        insertPair.bind(3, patternID)
                        insertPair.bind(4, weight)
                        insertPair.bind(5, probability)
                        if let matchKey = bytes(row, .matchKey) { insertPair.bind(6, borrowing: matchKey) } else { insertPair.bindNull(6) }
                        insertPair.bind(7, batchID)
                        try pendingText.withUnsafeBufferPointer { state in
                            insertPair.bind(8, borrowing: state)
                            try insertPair.step()
                        }
                        isNew = insertPair.changes != 0
                    }
                    if isNew {
                        summary.added += 1
                        patterns.count(patternID)
                    } else {
                        summary.duplicates += 1
                    }
                }
            }
            progress?(batch.bytesRead, batch.fileSize)
        }
        guard summary.rows > 0 else {
            throw ClericalError(.dataError, "the file has a header but no rows: there is nothing to import", at: InputLocation(file: file))
        }
        for index in deferredIndexes { try db.execute(sql: index.sql) }
        try finish(patterns: patterns, learned: learned!)
        return summary
    }

    private struct PairKey: Hashable {
        var left: Int64, right: Int64
    }

    // MARK: - Finishing

    mutating func finish(patterns: PatternDirectory, learned: LearnedWeights) throws {
        try patterns.saveCounts(db)
        var scorer: (any PatternScoring)?
        if isNewQueue {
            let model: FellegiSunterModel
            if let splinkModel {
                model = splinkModel.fellegiSunter
                try ModelStore.insertModelVersion(db, model, origin: .splinkJSON, splinkJSON: splinkModel.json,
                                                  note: "imported from the Splink model JSON")
            } else {
                model = try learnedModel(learned)
                let note = layout.weightKind.map { "derived from the predictions file's \($0.rawValue)_ columns" }
                    ?? "derived from the predictions file; it had no mw_/bf_ columns, so level weights are unknown"
                try ModelStore.insertModelVersion(db, model, origin: .predictions, note: note)
            }
            // Without weights the rows' own scores stand (each pattern has its first row's).
            if layout.weightKind != nil || splinkModel != nil { scorer = model }
        } else {
            scorer = try ModelStore.currentScorer(db)
        }
        try PatternBand.rescore(db, with: scorer, band: band, decideOutsideBand: false)
        // Which new pairs went to people follows from their patterns.
        let inBand = Set(try Int64.fetchAll(db, sql: "SELECT id FROM pattern WHERE in_band = 1"))
        for (patternID, added) in patterns.addedPairs {
            if inBand.contains(patternID) { summary.pending += added } else { summary.decidedByModel += added }
        }
        try db.execute(sql: "UPDATE pair_state_count SET count = count + ? WHERE state = 'pending'", arguments: [summary.added])
        try db.execute(sql: "UPDATE import_batch SET row_count = ?, added = ?, duplicates = ?, pending = ? WHERE id = ?",
                       arguments: [summary.rows, summary.added, summary.duplicates, summary.pending, batchID])
    }

    /// Levels are the gamma values seen, highest first, the null level first of all.
    mutating func learnedModel(_ learned: LearnedWeights) throws -> FellegiSunterModel {
        var parameters: [[LevelParameters]] = []
        for k in comparisons.indices {
            let name = comparisons[k].comparison.name
            let gammasSeen = learned.observed[k].keys.sorted { ($0 == -1 ? Int.max : $0) > ($1 == -1 ? Int.max : $1) }
            var levelParameters: [LevelParameters] = []
            for gamma in gammasSeen {
                let label = gamma == -1 ? "\(name) is NULL" : (gamma == 0 ? "All other comparisons" : "\(name) level \(gamma)")
                try ModelStore.insertLevel(db, ComparisonLevel(gamma: gamma, label: label, isNull: gamma == -1), into: &comparisons[k])
                let weight = learned.observed[k][gamma]!
                levelParameters.append(gamma == -1 ? .null : LevelParameters(m: nil, u: nil, weight: weight.isNaN ? 0 : weight))
            }
            parameters.append(levelParameters)
        }
        let lambda = min(max(MatchWeight.probability(learned.priorWeight ?? 0), 1e-12), 1 - 1e-12)
        return FellegiSunterModel(comparisons: comparisons.map(\.comparison), lambda: lambda, parameters: parameters)
    }
}

