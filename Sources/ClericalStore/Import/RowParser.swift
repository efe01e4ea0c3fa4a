import ClericalCore
import Foundation

/// What the parser needs to know of the queue to check each row.
struct ParsePlan: Sendable {
    var layout: PredictionsLayout
    var file: String
    /// Per queue comparison: the CSV column of its gamma and of its mw_/bf_ weight.
    var gammaColumns: [Int]
    var weightColumns: [Int?]
    var comparisonNames: [String]
    /// Gamma values each comparison accepts; nil while a model-less queue learns them.
    var knownGammas: [Set<Int>?]
    /// A new queue without a model JSON learns its level weights and λ from the file.
    var learnsWeights: Bool
}

/// Rows checked and reduced to what the writer stores, in flat arrays (one allocation each
/// per batch, not per row). Text lives in one byte arena; `spans` point into it.
struct ParsedBatch: Sendable {
    /// Spans per row, in this order.
    enum Span: Int, CaseIterable { case leftID, rightID, leftDataset, rightDataset, leftValues, rightValues, matchKey }

    var count = 0
    var matchWeights: [Double] = []
    var matchProbabilities: [Double] = []
    /// `count × comparisons` gamma values.
    var gammas: [Int] = []
    var text: [UInt8] = []
    /// `count × Span.allCases.count` (start, end) pairs into `text`; (-1, -1) for "none".
    var spans: [Int] = []
    var bytesRead: Int64 = 0
    var fileSize: Int64 = 0

    func span(_ row: Int, _ which: Span) -> Range<Int>? {
        let base = (row * Span.allCases.count + which.rawValue) * 2
        return spans[base] < 0 ? nil : spans[base]..<spans[base + 1]
    }
}

/// Level weights and λ read from a model-less file.
struct LearnedWeights: Sendable {
    /// Per comparison: gamma → weight; NaN where the file has no weight column.
    var observed: [[Int: Double]]
    var priorWeight: Double?
}

/// Turns CSV rows into checked `ParsedBatch`es. Runs on its own thread during an import,
/// so parsing overlaps with the SQLite writes.
struct RowParser {
    private var reader: CSVReader
    let plan: ParsePlan
    private(set) var learned: LearnedWeights

    init(reader: CSVReader, plan: ParsePlan) {
        self.reader = reader
        self.plan = plan
        learned = LearnedWeights(observed: plan.comparisonNames.map { _ in [:] }, priorWeight: nil)
    }

    func close() { reader.close() }

    /// Up to `limit` rows, or nil at the end of the file.
    mutating func nextBatch(limit: Int) throws(ClericalError) -> ParsedBatch? {
        var batch = ParsedBatch()
        let comparisons = plan.gammaColumns.count
        batch.matchWeights.reserveCapacity(limit)
        batch.matchProbabilities.reserveCapacity(limit)
        batch.gammas.reserveCapacity(limit * comparisons)
        batch.spans.reserveCapacity(limit * ParsedBatch.Span.allCases.count * 2)
        var gammas = [Int](repeating: 0, count: comparisons)
        while batch.count < limit, try reader.nextRow() {
            try parseRow(into: &batch, gammas: &gammas)
        }
        batch.bytesRead = reader.bytesRead
        batch.fileSize = reader.fileSize
        return batch.count == 0 ? nil : batch
    }

    private mutating func parseRow(into batch: inout ParsedBatch, gammas: inout [Int]) throws(ClericalError) {
        let layout = plan.layout
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
        if plan.learnsWeights { try observeWeights(gammas, rowWeight: weight) }

        for side in [layout.uniqueIdLeft, layout.uniqueIdRight] where reader.isEmpty(at: side) {
            throw error(side, "\(layout.header[side]) is empty: every record needs a unique id")
        }
        batch.count += 1
        batch.matchWeights.append(weight)
        batch.matchProbabilities.append(probability)
        batch.gammas.append(contentsOf: gammas)
        appendField(layout.uniqueIdLeft, to: &batch)
        appendField(layout.uniqueIdRight, to: &batch)
        appendField(layout.sourceDatasetLeft, to: &batch)
        appendField(layout.sourceDatasetRight, to: &batch)
        appendValues(left: true, to: &batch)
        appendValues(left: false, to: &batch)
        appendField(layout.matchKey, to: &batch)
    }

    private func appendField(_ column: Int?, to batch: inout ParsedBatch) {
        guard let column else {
            batch.spans.append(-1); batch.spans.append(-1)
            return
        }
        let start = batch.text.count
        reader.withBytes(at: column) { batch.text.append(contentsOf: $0) }
        batch.spans.append(start); batch.spans.append(batch.text.count)
    }

    /// The record's values as a JSON array of strings and nulls, in field order, written
    /// straight from the CSV bytes.
    private func appendValues(left: Bool, to batch: inout ParsedBatch) {
        let start = batch.text.count
        var json = JSONArrayWriter()
        json.begin(&batch.text)
        for field in plan.layout.fields {
            let column = left ? field.left : field.right
            if reader.isEmpty(at: column) {
                json.appendNull(&batch.text)
            } else {
                reader.withBytes(at: column) { json.appendString($0, to: &batch.text) }
            }
        }
        json.end(&batch.text)
        batch.spans.append(start); batch.spans.append(batch.text.count)
    }

    // MARK: - Fields

    private func number(_ column: Int) throws(ClericalError) -> Double {
        guard let value = reader.double(at: column) else {
            let found = (try? reader.string(at: column)) ?? "?"
            throw error(column, "\(plan.layout.header[column]): expected a number, found \"\(found)\"")
        }
        return value
    }

    private func error(_ column: Int, _ message: String) -> ClericalError {
        ClericalError(.dataError, message, at: reader.location(field: column))
    }

    private func readGammas(into gammas: inout [Int]) throws(ClericalError) {
        let header = plan.layout.header
        for k in plan.gammaColumns.indices {
            let column = plan.gammaColumns[k]
            guard let gamma = reader.integer(at: column) else {
                let found = (try? reader.string(at: column)) ?? "?"
                throw error(column, "\(header[column]): expected a whole-number gamma value, found \"\(found)\"")
            }
            if let known = plan.knownGammas[k] {
                guard known.contains(gamma) else {
                    let levels = known.sorted(by: >).map(String.init).joined(separator: ", ")
                    throw error(column, "\(header[column]): gamma \(gamma) is not a level of comparison \"\(plan.comparisonNames[k])\" (its levels: \(levels))")
                }
            } else if gamma < -1 {
                throw error(column, "\(header[column]): gamma \(gamma) is below -1, the null level")
            }
            gammas[k] = gamma
            // With a model the weights come from it; here they need only be numbers.
            if let weightColumn = plan.weightColumns[k], !reader.isNumber(at: weightColumn) {
                _ = try number(weightColumn)
            }
        }
    }

    /// A model-less queue learns its level weights from the mw_/bf_ columns, and λ from the
    /// first row: match_weight = log2(λ/(1-λ)) + Σ level weights + term-frequency adjustments.
    private mutating func observeWeights(_ gammas: [Int], rowWeight: Double) throws(ClericalError) {
        let layout = plan.layout
        var sum = 0.0
        for k in plan.gammaColumns.indices {
            guard let column = plan.weightColumns[k] else {
                if learned.observed[k][gammas[k]] == nil { learned.observed[k][gammas[k]] = .nan }
                continue
            }
            let raw = try number(column)
            if layout.weightKind == .bayesFactor && raw <= 0 {
                throw error(column, "\(layout.header[column]): a Bayes factor must be positive, found \(raw)")
            }
            let weight = layout.weightKind == .bayesFactor ? log2(raw) : raw
            if learned.observed[k][gammas[k]] == nil { learned.observed[k][gammas[k]] = weight }
            sum += weight
        }
        if learned.priorWeight == nil, layout.weightKind != nil {
            var adjustments = 0.0
            for column in layout.termFrequencyAdjustments {
                let raw = try number(column)
                adjustments += layout.weightKind == .bayesFactor ? log2(raw) : raw
            }
            learned.priorWeight = rowWeight - sum - adjustments
        }
    }
}

/// Writes a JSON array of strings and nulls straight from CSV bytes into a byte buffer,
/// without making Strings.
struct JSONArrayWriter {
    private var count = 0

    mutating func begin(_ bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "["))
        count = 0
    }

    private mutating func separate(_ bytes: inout [UInt8]) {
        if count > 0 { bytes.append(UInt8(ascii: ",")) }
        count += 1
    }

    mutating func appendNull(_ bytes: inout [UInt8]) {
        separate(&bytes)
        bytes.append(contentsOf: [110, 117, 108, 108])  // null
    }

    mutating func appendString(_ value: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        separate(&bytes)
        bytes.append(UInt8(ascii: "\""))
        // Fast path: most values need no escaping and go in with one copy.
        if !value.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: value)
        } else {
            for byte in value {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
                case 0..<0x20:
                    bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    bytes.append(Self.hexDigit(byte >> 4)); bytes.append(Self.hexDigit(byte & 0xF))
                default:
                    bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    func end(_ bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "]"))
    }
}

/// What the import's parser hands its writer.
enum ParsedMessage: Sendable {
    case batch(ParsedBatch)
    case failed(ClericalError)
    case finished(LearnedWeights)
}

typealias BatchChannel = Handoff<ParsedMessage>

/// Runs a `RowParser` on its own thread, feeding a channel.
enum ParserThread {
    static func start(_ parser: RowParser, batchSize: Int, channel: BatchChannel) {
        nonisolated(unsafe) var parser = parser  // owned by the thread from here on
        let thread = Thread {
            defer {
                parser.close()
                channel.markProducerDone()
            }
            do throws(ClericalError) {
                while let batch = try parser.nextBatch(limit: batchSize) {
                    guard channel.send(.batch(batch)) else { return }
                }
                _ = channel.send(.finished(parser.learned))
            } catch {
                _ = channel.send(.failed(error))
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
