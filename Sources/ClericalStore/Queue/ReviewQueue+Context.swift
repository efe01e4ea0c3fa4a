import ClericalCore
import Foundation
import GRDB

/// What the screen shows around a pair: each record's other candidates, the links either record
/// already has, the pattern's history. Indexed reads only: a record's candidates through
/// `(left_record_id, …)` and `pair_by_right_record`, a pattern's reviewed pairs through
/// `reviewed_pair_by_pattern`.
extension ReviewQueue {
    struct PairPlace {
        var pair: Int64
        var left: Int64
        var right: Int64
        var pattern: Int64
        var patternPairs: Int
    }

    func loadContext(_ db: Database, _ place: PairPlace) throws -> PairContext {
        let (left, leftLinks) = try candidates(db, of: place.left, besides: place.pair)
        let (right, rightLinks) = try candidates(db, of: place.right, besides: place.pair)
        return PairContext(left: left, right: right, links: leftLinks + rightLinks, history: try history(db, place))
    }

    /// The record's other candidate pairs, most probable first, and its accepted matches.
    private func candidates(_ db: Database, of record: Int64, besides pair: Int64) throws
        -> (candidates: [PairContext.Candidate], links: [PairContext.Link]) {
        let query = try statement(db, """
            SELECT p.id, p.state, t.match_probability, t.in_band, p.right_record_id FROM pair p JOIN pattern t ON t.id = p.pattern_id
            WHERE p.left_record_id = ?1 AND p.id <> ?2
            UNION ALL
            SELECT p.id, p.state, t.match_probability, t.in_band, p.left_record_id FROM pair p JOIN pattern t ON t.id = p.pattern_id
            WHERE p.right_record_id = ?1 AND p.id <> ?2
            """)
        query.bind(1, record)
        query.bind(2, pair)
        var all: [(pair: Int64, state: String, probability: Double, inBand: Bool, other: Int64)] = []
        try query.each { all.append(($0.int64(0), $0.text(1) ?? "", $0.double(2), $0.int64(3) == 1, $0.int64(4))) }
        all.sort { ($0.probability, $1.pair) > ($1.probability, $0.pair) }

        var shown: [PairContext.Candidate] = []
        var links: [PairContext.Link] = []
        let recordID = try uniqueID(db, record)
        for (index, candidate) in all.enumerated() {
            let isShown = index < PairContext.candidatesPerRecord
            guard isShown || candidate.state == PairState.decided.rawValue else { continue }
            let state = try self.state(db, candidate.pair, candidate.state, inBand: candidate.inBand, probability: candidate.probability)
            let other = try self.record(db, candidate.other)
            if isShown { shown.append(.init(pairID: candidate.pair, other: other, probability: candidate.probability, state: state)) }
            if case let .decided(reviewer, .match) = state {
                links.append(.init(record: recordID, linkedTo: other, reviewer: reviewer))
            }
        }
        return (shown, links)
    }

    private func state(_ db: Database, _ pair: Int64, _ state: String, inBand: Bool, probability: Double) throws -> PairContext.State {
        switch PairState(rawValue: state) {
        case .claimed?:
            return .claimed(by: try Claims.held(prepare(db), pair: pair)?.holder ?? "")
        case .decided?:
            // The standing verdict: the latest decision row (an undo would have reopened the pair).
            let latest = try statement(db, "SELECT reviewer, verdict FROM decision WHERE pair_id = ? AND verdict IS NOT NULL ORDER BY id DESC LIMIT 1")
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

    private func record(_ db: Database, _ id: Int64) throws -> ReviewRecord {
        let query = try statement(db, "SELECT source_dataset, unique_id, field_values FROM record WHERE id = ?")
        query.bind(1, id)
        return try query.first {
            ReviewRecord(sourceDataset: $0.text(0) ?? "", uniqueID: $0.text(1) ?? "", values: Self.values($0.text(2) ?? "[]", count: fieldNames.count))
        } ?? ReviewRecord(sourceDataset: "", uniqueID: "", values: [])
    }

    private func uniqueID(_ db: Database, _ id: Int64) throws -> String {
        let query = try statement(db, "SELECT unique_id FROM record WHERE id = ?")
        query.bind(1, id)
        return try query.first { $0.text(0) ?? "" } ?? ""
    }

    /// How the other reviewed pairs of this pair's pattern were judged, up to `historyLimit`.
    private func history(_ db: Database, _ place: PairPlace) throws -> PairContext.History {
        let query = try statement(db, """
            SELECT (SELECT verdict FROM decision d WHERE d.pair_id = p.id AND d.verdict IS NOT NULL ORDER BY d.id DESC LIMIT 1)
            FROM pair p WHERE p.pattern_id = ? AND (p.state = 'decided' OR p.state = 'disputed') AND p.id <> ? LIMIT ?
            """)
        query.bind(1, place.pattern)
        query.bind(2, place.pair)
        query.bind(3, Int64(PairContext.historyLimit))
        var history = PairContext.History(pairs: place.patternPairs, reviewed: 0, matches: 0, nonMatches: 0, unsure: 0, isCapped: false)
        try query.each { row in
            history.reviewed += 1
            switch row.text(0).flatMap(Verdict.init(rawValue:)) {
            case .match?: history.matches += 1
            case .nonMatch?: history.nonMatches += 1
            case .unsure?, nil: history.unsure += 1
            }
        }
        history.isCapped = history.reviewed == PairContext.historyLimit
        return history
    }
}
