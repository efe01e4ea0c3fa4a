import ClericalCore
import Foundation
import GRDB

/// What the screen shows around a pair: each record's other candidates, the links either record
/// already has, the pattern's history. Indexed reads only: a record's candidates through
/// `(left_record_id, …)` and `pair_by_right_record`, a pattern's verdicts from the one row of
/// `pattern_verdicts` a trigger keeps (counting the pattern's reviewed pairs one by one cost
/// 32 saturated reviewers a third of their verdicts).
///
/// Never read inside the write that claims the pair, where every other reviewer's write would
/// wait for it (32 saturated reviewers: 1,297 verdicts/s with it inside, 2,139 without). After
/// a verdict it is read on a second, read-only connection while the commit waits for the disk
/// (`ContextReader`), with that verdict put in by hand, since the reader sees the queue as it
/// was before the commit; elsewhere it is read just after the write.
struct ContextLoader<Statement: QueryStatement> {
    let prepare: (String) throws -> Statement
    let fieldCount: Int

    /// A verdict being committed while the context is read: what the reader cannot see yet.
    func load(_ pairID: Int64, own: CommittingVerdict? = nil) throws -> PairContext {
        let query = try prepare("""
            SELECT p.left_record_id, p.right_record_id, p.pattern_id, t.pair_count, p.state FROM pair p JOIN pattern t ON t.id = p.pattern_id WHERE p.id = ?
            """)
        query.bind(1, pairID)
        guard let place = try query.first({ (left: $0.int64(0), right: $0.int64(1), pattern: $0.int64(2), pairs: Int($0.int64(3)), state: $0.text(4) ?? "") })
        else { return PairContext() }
        let left = try candidates(of: place.left, besides: pairID, own: own)
        let right = try candidates(of: place.right, besides: pairID, own: own)
        var history = try self.history(pattern: place.pattern, pairs: place.pairs)
        // The pair shown is not its own history (a verdict of yours being browsed).
        if place.state == PairState.decided.rawValue || place.state == PairState.disputed.rawValue,
           let standing = try standingVerdict(pairID) {
            history.add(standing, -1)
        }
        // A verdict still committing: in the tally only if the reader sees the queue after it.
        if let own, try patternID(own.pair) == place.pattern, try !isDecided(own.pair) {
            history.add(own.verdict, 1)
        }
        return PairContext(left: left.shown, right: right.shown, links: left.links + right.links, history: history)
    }

    /// The record's other candidate pairs, most probable first, and its accepted matches.
    private func candidates(of record: Int64, besides pair: Int64, own: CommittingVerdict?) throws
        -> (shown: [PairContext.Candidate], links: [PairContext.Link]) {
        let query = try prepare("""
            SELECT p.id, p.state, t.match_probability, t.in_band, p.right_record_id FROM pair p JOIN pattern t ON t.id = p.pattern_id
            WHERE p.left_record_id = ? AND p.id <> ?
            UNION ALL
            SELECT p.id, p.state, t.match_probability, t.in_band, p.left_record_id FROM pair p JOIN pattern t ON t.id = p.pattern_id
            WHERE p.right_record_id = ? AND p.id <> ?
            """)
        query.bind(1, record)
        query.bind(2, pair)
        query.bind(3, record)
        query.bind(4, pair)
        var all: [(pair: Int64, state: String, probability: Double, inBand: Bool, other: Int64)] = []
        try query.each { all.append(($0.int64(0), $0.text(1) ?? "", $0.double(2), $0.int64(3) == 1, $0.int64(4))) }
        all.sort { ($0.probability, $1.pair) > ($1.probability, $0.pair) }

        var shown: [PairContext.Candidate] = []
        var links: [PairContext.Link] = []
        let recordID = try uniqueID(record)
        for (index, candidate) in all.enumerated() {
            let isOwn = candidate.pair == own?.pair
            let isShown = index < PairContext.candidatesPerRecord
            guard isShown || candidate.state == PairState.decided.rawValue || isOwn else { continue }
            let state = try own.flatMap { isOwn ? .decided(by: $0.reviewer, $0.verdict) : nil }
                ?? self.state(candidate.pair, candidate.state, inBand: candidate.inBand, probability: candidate.probability)
            let other = try self.record(candidate.other)
            if isShown { shown.append(.init(pairID: candidate.pair, other: other, probability: candidate.probability, state: state)) }
            if case let .decided(reviewer, .match) = state {
                links.append(.init(record: recordID, linkedTo: other, reviewer: reviewer))
            }
        }
        return (shown, links)
    }

    private func state(_ pair: Int64, _ state: String, inBand: Bool, probability: Double) throws -> PairContext.State {
        switch PairState(rawValue: state) {
        case .claimed?:
            return .claimed(by: try Claims.held(prepare, pair: pair)?.holder ?? "")
        case .decided?:
            // The standing verdict: the latest decision row (an undo would have reopened the pair).
            let latest = try prepare("SELECT reviewer, verdict FROM decision WHERE pair_id = ? AND verdict IS NOT NULL ORDER BY id DESC LIMIT 1")
            latest.bind(1, pair)
            let found = try latest.first { (reviewer: $0.text(0) ?? "", verdict: $0.text(1).flatMap(Verdict.init(rawValue:))) }
            guard let found, let verdict = found.verdict else { return .pending }
            return .decided(by: found.reviewer, verdict)
        case .disputed?:
            return .disputed
        default:
            return inBand ? .pending : .decidedByModel(match: probability >= 0.5)
        }
    }

    private func record(_ id: Int64) throws -> ReviewRecord {
        let query = try prepare("SELECT source_dataset, unique_id, field_values FROM record WHERE id = ?")
        query.bind(1, id)
        return try query.first {
            ReviewRecord(sourceDataset: $0.text(0) ?? "", uniqueID: $0.text(1) ?? "", values: ReviewQueue.values($0.text(2) ?? "[]", count: fieldCount))
        } ?? ReviewRecord(sourceDataset: "", uniqueID: "", values: [])
    }

    private func uniqueID(_ id: Int64) throws -> String {
        let query = try prepare("SELECT unique_id FROM record WHERE id = ?")
        query.bind(1, id)
        return try query.first { $0.text(0) ?? "" } ?? ""
    }

    private func patternID(_ pair: Int64) throws -> Int64? {
        let query = try prepare("SELECT pattern_id FROM pair WHERE id = ?")
        query.bind(1, pair)
        return try query.first { $0.int64(0) }
    }

    /// How the reviewed pairs of a pattern were judged: one row, kept by a trigger.
    private func history(pattern: Int64, pairs: Int) throws -> PairContext.History {
        let query = try prepare("SELECT matches, non_matches, unsure FROM pattern_verdicts WHERE pattern_id = ?")
        query.bind(1, pattern)
        return try query.first { PairContext.History(pairs: pairs, matches: Int($0.int64(0)), nonMatches: Int($0.int64(1)), unsure: Int($0.int64(2))) }
            ?? PairContext.History(pairs: pairs, matches: 0, nonMatches: 0, unsure: 0)
    }

    /// The pair's latest decision row's verdict, if it has one.
    private func standingVerdict(_ pair: Int64) throws -> Verdict? {
        let query = try prepare("SELECT verdict FROM decision WHERE pair_id = ? ORDER BY id DESC LIMIT 1")
        query.bind(1, pair)
        return try query.first { $0.text(0).flatMap(Verdict.init(rawValue:)) } ?? nil
    }

    private func isDecided(_ pair: Int64) throws -> Bool {
        let query = try prepare("SELECT state FROM pair WHERE id = ?")
        query.bind(1, pair)
        return try query.first { $0.text(0) == PairState.decided.rawValue || $0.text(0) == PairState.disputed.rawValue } ?? false
    }
}

/// A verdict being committed while the context is read: what the reader cannot see yet.
struct CommittingVerdict {
    var pair: Int64
    var verdict: Verdict
    var reviewer: String
}

extension PairContext.History {
    mutating func add(_ verdict: Verdict, _ count: Int) {
        switch verdict {
        case .match: matches += count
        case .nonMatch: nonMatches += count
        case .unsure: unsure += count
        }
    }
}

/// A read-only connection of its own, for the context read while the writer commits; opened on
/// first use, with its own statement cache.
final class ContextReader: @unchecked Sendable {  // used by one thread at a time: during a commit, or after it
    private let path: String
    private let fieldCount: Int
    private var database: DatabaseQueue?
    private var statements: [String: RawStatement] = [:]
    private let lock = NSLock()

    init(path: String, fieldCount: Int) {
        self.path = path
        self.fieldCount = fieldCount
    }

    func context(_ pairID: Int64, own: CommittingVerdict?) throws -> PairContext {
        try lock.withLock {
            if database == nil {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.busyMode = .callback(QueueFile.waitWhileBusy)
                database = try DatabaseQueue(path: path, configuration: configuration)
            }
            return try database!.read { db in
                try ContextLoader(prepare: { sql in
                    if let cached = self.statements[sql] { return cached }
                    let statement = try RawStatement(db, sql: sql)
                    self.statements[sql] = statement
                    return statement
                }, fieldCount: fieldCount).load(pairID, own: own)
            }
        }
    }

    func close() {
        lock.withLock {
            statements = [:]
            try? database?.close()
            database = nil
        }
    }
}

extension ReviewQueue {
    /// `pair` with its context, read now, just after the write that claimed it (nil stays nil).
    func withContext(_ pair: ReviewPair?) throws(ClericalError) -> ReviewPair? {
        guard var pair else { return nil }
        pair.context = try access { db in try self.contextLoader(db).load(pair.id) }
        return pair
    }

    func contextLoader(_ db: Database) -> ContextLoader<RawStatement> {
        ContextLoader(prepare: prepare(db), fieldCount: evidence.fieldNames.count)
    }
}
