import ClericalCore
import GRDB

/// Loading a pair with its records and evidence through this connection's prepared statements
/// (`PairLoader`, shared with the server). Its context (`+Context`) is read after the write
/// that claimed it.
extension ReviewQueue {
    func loadPair(_ db: Database, _ id: Int64, kind: DecisionKind = .review, withVerdict: Bool = true) throws -> ReviewPair {
        try refreshLookups(db)
        return try pairLoader(db).load(id, kind: kind, withVerdict: withVerdict)
    }

    func pairLoader(_ db: Database) -> PairLoader<RawStatement> {
        PairLoader(prepare: prepare(db), evidence: evidence, reviewer: reviewer)
    }
}
