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

    /// Two statements, however many candidates the records have: the pair's place, then both
    /// records' candidates and what is shown of them. On a server each is a round trip, so a
    /// server reads the pair, its place and its candidates in one
    /// (`ContextStatement.statement(readingPair:columns:)`).
    func load(_ pairID: Int64, own: CommittingVerdict? = nil) throws -> PairContext {
        let query = try prepare("""
            SELECT \(PairPlace.columns)
            FROM pair p JOIN pattern t ON t.id = p.pattern_id
            JOIN record l ON l.id = p.left_record_id JOIN record r ON r.id = p.right_record_id
            \(PairPlace.placeJoin)
            WHERE p.id = ?
            """)
        query.bind(1, pairID)
        guard let place = try query.first({ PairPlace($0, from: 0) }) else { return PairContext() }
        return try load(pairID, at: place, own: own)
    }

    /// The context of a pair whose place was read already: one statement.
    func load(_ pairID: Int64, at place: PairPlace, own: CommittingVerdict? = nil) throws -> PairContext {
        let query = try prepare(ContextStatement.atPlace)
        var index: Int32 = 1
        for record in [place.left, place.right] {
            for _ in 0..<2 {  // its pairs as the left record, then as the right
                query.bind(index, record)
                query.bind(index + 1, record)
                query.bind(index + 2, pairID)
                index += 3
            }
        }
        ContextStatement.bindShown(query, at: index, own: own)
        var found = ContextStatement.Candidates(place: place)
        try query.each { row in found.read(row, from: 0, fieldCount: fieldCount, own: own) }
        return try context(at: place, found, own: own)
    }

    /// What the screen shows of a pair at `place` with these candidates: its pattern's history
    /// without the pair itself, and with a verdict still committing if the reader cannot see it.
    func context(at place: PairPlace, _ found: ContextStatement.Candidates, own: CommittingVerdict? = nil) throws -> PairContext {
        var history = place.history
        // The pair shown is not its own history (a verdict of yours being browsed).
        if let standing = place.standing { history.add(standing, -1) }
        // A verdict still committing: in the tally only if the reader sees the queue after it.
        if let own, let committing = try pairState(own.pair), committing.pattern == place.pattern,
           committing.state != PairState.decided.rawValue, committing.state != PairState.disputed.rawValue {
            history.add(own.verdict, 1)
        }
        return PairContext(left: found.left.shown, right: found.right.shown, links: found.left.links + found.right.links,
                           history: history)
    }

    /// A pair's pattern and state, as this reader sees them.
    private func pairState(_ pair: Int64) throws -> (pattern: Int64, state: String)? {
        let query = try prepare("SELECT pattern_id, state FROM pair WHERE id = ?")
        query.bind(1, pair)
        return try query.first { ($0.int64(0), $0.text(1) ?? "") }
    }
}

/// The text of the statements that read a pair's context (`ContextLoader`), and the reading of
/// their rows: one home for what a file and a server both run.
enum ContextStatement {
    /// One statement that reads a pair and its context together: `pairQuery` (a SELECT of
    /// `columns` columns, the first the pair's id, then `PairPlace.columns` among them, over one
    /// pair chosen by its own placeholders), then both records' candidates as `ContextLoader.load(_:at:)`
    /// reads them. The pair's row comes first, marked 0 in column 0 and read from column 1;
    /// each candidate's row follows, marked 1, read from `candidateColumn(after: columns)`.
    /// After `pairQuery`'s placeholders, bind the candidates shown per record and the pair of a
    /// verdict still committing (`bindShown`). One round trip on a server, where two cost a
    /// keypress about 0.4 ms more over veth (Benchmarks/README).
    static func statement(readingPair pairQuery: String, columns: Int32) -> String {
        let none = { (count: Int32) in Array(repeating: "NULL", count: Int(count)).joined(separator: ", ") }
        let sideColumn = candidateColumn(after: columns) + 1  // ordinal positions count from 1
        return """
            WITH x AS (\(pairQuery)),
            \(candidates(from: "x, ", records: ("x.\(PairPlace.leftRecordColumn)", "x.\(PairPlace.rightRecordColumn)"),
                          pair: "x.\(pairIDColumn)"))
            SELECT 0, x.*, \(none(candidateColumnCount)) FROM x
            UNION ALL
            SELECT 1, \(none(columns)), \(candidateColumns)
            \(candidatesShown)
            ORDER BY 1, \(sideColumn), \(sideColumn + 1)
            """
    }

    /// Both records' candidates where the pair's place was read already (`ContextLoader.load(_:at:)`):
    /// for each record, its id twice and the pair's for each of its two branches, then `bindShown`'s.
    /// Made once: it runs on every keypress on a file.
    static let atPlace = """
        WITH \(candidates(from: "", records: ("?", "?"), pair: "?"))
        SELECT \(candidateColumns)
        \(candidatesShown)
        ORDER BY w.side, w.place
        """

    /// Binds the placeholders that follow the candidates' own: how many are shown per record,
    /// and the pair of a verdict still committing (-1, none).
    static func bindShown(_ query: some QueryStatement, at index: Int32, own: CommittingVerdict?) {
        query.bind(index, Int64(PairContext.candidatesPerRecord))
        query.bind(index + 1, own?.pair ?? -1)
    }

    /// The name `statement(readingPair:)` reads the pair's id by: `pairQuery`'s first column.
    static let pairIDColumn = "shown_pair_id"

    /// Where a candidate's columns begin in `statement(readingPair:)`'s rows.
    static func candidateColumn(after columns: Int32) -> Int32 { 1 + columns }

    /// Both records' other candidate pairs ranked, most probable first (a record may have
    /// hundreds), as the `candidate` and `ranked` tables of a WITH: each side's record is
    /// `records`, the pair shown `pair` (`?` each, bound in that order per branch, or columns
    /// of a table `from` names). (Ranked in Swift over two plain statements, a file's 32
    /// saturated reviewers give 13% more verdicts, but a keypress on a server takes a round trip
    /// more: 3.9 ms against 2.9.)
    private static func candidates(from: String, records: (String, String), pair: String) -> String {
        let branches = [(0, records.0), (1, records.1)].flatMap { side, record in
            ["left_record_id", "right_record_id"].map { column in
                """
                SELECT \(side) AS side, CAST(\(record) AS BIGINT) AS record, p.id, p.left_record_id, p.right_record_id, p.state, t.match_probability, t.in_band
                    FROM \(from)pair p JOIN pattern t ON t.id = p.pattern_id WHERE p.\(column) = \(record) AND p.id <> \(pair)
                """
            }
        }
        return """
            candidate AS (
                \(branches.joined(separator: "\n    UNION ALL\n    "))
            ), ranked AS (
                SELECT c.*, row_number() OVER (PARTITION BY c.side ORDER BY c.match_probability DESC, c.id) AS place
                FROM candidate c
            )
            """
    }

    /// For the candidates shown, the decided ones (links, however far down) and the verdict
    /// being committed: the other record, the claim's holder and the standing verdict.
    private static let candidateColumns = """
        w.side, w.place, w.id, w.state, w.match_probability, w.in_band,
               r.source_dataset, r.unique_id, r.field_values, k.reviewer,
               CASE WHEN w.state = 'decided' THEN (SELECT d.reviewer FROM decision d WHERE d.pair_id = w.id AND d.verdict IS NOT NULL
                                                  ORDER BY d.id DESC LIMIT 1) END,
               CASE WHEN w.state = 'decided' THEN (SELECT d.verdict FROM decision d WHERE d.pair_id = w.id AND d.verdict IS NOT NULL
                                                  ORDER BY d.id DESC LIMIT 1) END
        """
    private static let candidateColumnCount: Int32 = 12
    private static let candidatesShown = """
        FROM ranked w
        JOIN record r ON r.id = CASE WHEN w.left_record_id = w.record THEN w.right_record_id ELSE w.left_record_id END
        LEFT JOIN claim k ON k.pair_id = w.id
        WHERE w.place <= ? OR w.state = 'decided' OR w.id = ?
        """

    /// Both records' candidates as shown, and their accepted matches, read row by row.
    struct Candidates {
        var left = Surroundings(), right = Surroundings()
        let recordIDs: (String, String)

        init(place: PairPlace) { recordIDs = (place.leftID, place.rightID) }

        mutating func read(_ row: some QueryRow, from first: Int32, fieldCount: Int, own: CommittingVerdict?) {
            let side = Int(row.int64(first)), place = row.int64(first + 1), candidate = row.int64(first + 2)
            let other = ReviewRecord(sourceDataset: row.text(first + 6) ?? "", uniqueID: row.text(first + 7) ?? "",
                                     values: ReviewQueue.values(row.text(first + 8) ?? "[]", count: fieldCount))
            let probability = row.double(first + 4)
            let state: PairContext.State
            if let own, candidate == own.pair {
                state = .decided(by: own.reviewer, own.verdict)
            } else {
                switch PairState(rawValue: row.text(first + 3) ?? "") {
                case .claimed?: state = .claimed(by: row.text(first + 9) ?? "")
                case .decided?:
                    // The standing verdict: the latest decision row (an undo would have reopened the pair).
                    if let verdict = row.text(first + 11).flatMap(Verdict.init(rawValue:)) {
                        state = .decided(by: row.text(first + 10) ?? "", verdict)
                    } else {
                        state = .pending
                    }
                case .disputed?: state = .disputed
                default: state = row.int64(first + 5) == 1 ? .pending : .decidedByModel(match: probability >= 0.5)
                }
            }
            let record = side == 0 ? recordIDs.0 : recordIDs.1
            func add(to found: inout Surroundings) {
                if place <= Int64(PairContext.candidatesPerRecord) {
                    found.shown.append(.init(pairID: candidate, other: other, probability: probability, state: state))
                }
                if case let .decided(reviewer, .match) = state {
                    found.links.append(.init(record: record, linkedTo: other, reviewer: reviewer))
                }
            }
            if side == 0 { add(to: &left) } else { add(to: &right) }
        }
    }

    /// One record's candidates as shown, and its accepted matches.
    struct Surroundings {
        var shown: [PairContext.Candidate] = []
        var links: [PairContext.Link] = []
    }
}

/// Where a pair sits: its records, its pattern, the pattern's tally and its own standing verdict.
struct PairPlace {
    var left: Int64, right: Int64, pattern: Int64
    var leftID: String, rightID: String
    var history: PairContext.History
    var standing: Verdict?

    /// The place's columns, over `pair p`, `pattern t`, `record l` and `record r` joined as
    /// their names say, and `placeJoin`: a statement that reads the pair's records can read
    /// its place too (on a server, no round trip of its own).
    static let columns = """
        p.left_record_id, p.right_record_id, p.pattern_id, t.pair_count, l.unique_id, r.unique_id,
        v.matches, v.non_matches, v.unsure,
        CASE WHEN p.state = 'decided' OR p.state = 'disputed'
             THEN (SELECT d.verdict FROM decision d WHERE d.pair_id = p.id ORDER BY d.id DESC LIMIT 1) END
        """
    static let placeJoin = "LEFT JOIN pattern_verdicts v ON v.pattern_id = p.pattern_id"
    /// The names `columns` gives the pair's records, for a statement that reads on from them.
    static let leftRecordColumn = "left_record_id", rightRecordColumn = "right_record_id"
    static let columnCount: Int32 = 10

    /// Read from `columns`, the first of them at `first`.
    init(_ row: some QueryRow, from first: Int32) {
        left = row.int64(first)
        right = row.int64(first + 1)
        pattern = row.int64(first + 2)
        leftID = row.text(first + 4) ?? ""
        rightID = row.text(first + 5) ?? ""
        history = PairContext.History(pairs: Int(row.int64(first + 3)), matches: Int(row.int64(first + 6)),
                                      nonMatches: Int(row.int64(first + 7)), unsure: Int(row.int64(first + 8)))
        standing = row.text(first + 9).flatMap(Verdict.init(rawValue:))
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
