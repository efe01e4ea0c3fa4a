import GRDB

/// Claims, of every kind, in one place: one row of the `claim` table per claimed pair (its
/// kind, holder, lease and the priority it was claimed at), beside the state of the row the
/// claim is on (a pair `claimed` for review or audit, a `second_review` row `claimed`, a pair
/// `disputed` for adjudication, which stays `disputed` while claimed).
///
/// Which pair to claim next is `Claims.Order`'s (`ClaimOrder.swift`: each kind's order);
/// everything that writes a claim comes here: taking one, renewing it, ending it when its
/// verdict is recorded, and letting go of it (the reviewer handing a pair back, a supervisor
/// expiring or reassigning one, `reviewers remove`), so they agree on what "released" means:
/// the pair goes back where it came from, and an audit pair is offered again.
///
/// Statements come from `prepare`: the review queue passes its cache of prepared statements
/// (these run on every keypress); other callers prepare them afresh.
enum Claims {
    enum Kind: String {
        case review
        /// A pair drawn by an audit of the model's decisions, claimed like a review.
        case audit
        case secondReview = "second-review"
        case adjudication

        /// Puts the claimed row in its claimed state (a disputed pair stays disputed).
        fileprivate var claimSQL: String? {
            switch self {
            case .review, .audit: "UPDATE pair SET state = 'claimed' WHERE id = ?"
            case .secondReview: "UPDATE second_review SET state = 'claimed' WHERE pair_id = ?"
            case .adjudication: nil
            }
        }
    }

    typealias Prepare = (String) throws -> RawStatement

    static func preparing(_ db: Database) -> Prepare {
        { sql in try RawStatement(db, sql: sql) }
    }

    /// Who holds a claim on which pair: `holder` nil means whoever holds it.
    struct Selection {
        var pair: Int64?
        var holder: String?
    }

    /// Claims `pair` for `holder` until `until` (seconds since 1970), replacing any claim on it
    /// (one whose lease ran out, or the holder's own): `priority` is where the pair stands in
    /// the queue should the lease run out.
    static func acquire(_ prepare: Prepare, pair: Int64, kind: Kind, holder: String, until: Double, priority: Double) throws {
        if let sql = kind.claimSQL {
            let state = try prepare(sql)
            state.bind(1, pair)
            try state.step()
        }
        let claim = try prepare("""
            INSERT OR REPLACE INTO claim (pair_id, kind, reviewer, lease_expires_at, priority) VALUES (?, ?, ?, ?, ?)
            """)
        claim.bind(1, pair)
        claim.bind(2, kind.rawValue)
        claim.bind(3, holder)
        claim.bind(4, until)
        claim.bind(5, priority)
        try claim.step()
    }

    /// The claim on `pair`, if there is one.
    static func held(_ prepare: Prepare, pair: Int64) throws -> (kind: Kind, holder: String)? {
        let query = try prepare("SELECT kind, reviewer FROM claim WHERE pair_id = ?")
        query.bind(1, pair)
        return try query.first { row in (Kind(rawValue: row.text(0) ?? "") ?? .review, row.text(1) ?? "") }
    }

    /// Ends the claim on `pair` because its verdict is recorded: the decision sets the states.
    static func end(_ prepare: Prepare, pair: Int64) throws {
        let delete = try prepare("DELETE FROM claim WHERE pair_id = ?")
        delete.bind(1, pair)
        try delete.step()
    }

    /// Lets go of the selected claims of every kind: each pair goes back where it came from.
    /// Returns the pairs released.
    @discardableResult
    static func release(_ db: Database, _ selection: Selection) throws -> [Int64] {
        let claims = try Row.fetchAll(db, sql: """
            SELECT pair_id, kind FROM claim WHERE (?1 IS NULL OR pair_id = ?1) AND (?2 IS NULL OR reviewer = ?2)
            """, arguments: [selection.pair, selection.holder])
        for claim in claims {
            let pair: Int64 = claim["pair_id"]
            switch Kind(rawValue: claim["kind"]) {
            case .review?, .audit?, nil:
                try db.execute(sql: "UPDATE pair SET state = 'pending' WHERE id = ? AND state = 'claimed'", arguments: [pair])
            case .secondReview?:
                try db.execute(sql: "UPDATE second_review SET state = 'pending' WHERE pair_id = ? AND state = 'claimed'", arguments: [pair])
            case .adjudication?:
                break  // the pair stays disputed, for the next quality lead
            }
            try db.execute(sql: "DELETE FROM claim WHERE pair_id = ?", arguments: [pair])
            // An audit pair handed back waits to be offered again, and its offer does not count.
            if claim["kind"] == Kind.audit.rawValue {
                try db.execute(sql: "UPDATE audit_pair SET offered = 0 WHERE pair_id = ? AND offered = 1", arguments: [pair])
                if db.changesCount > 0 {
                    try db.execute(sql: """
                        UPDATE audit SET offered_audit = max(0, offered_audit - 1) WHERE id = (SELECT audit_id FROM audit_pair WHERE pair_id = ?)
                        """, arguments: [pair])
                }
            }
        }
        return claims.map { $0["pair_id"] }
    }

    /// Moves the lease of `holder`'s claim on `pair` to `until` (seconds since 1970).
    static func renew(_ db: Database, pair: Int64, holder: String, until: Double) throws {
        try db.execute(sql: "UPDATE claim SET lease_expires_at = ? WHERE pair_id = ? AND reviewer = ?", arguments: [until, pair, holder])
    }

    /// Hands whatever claim there is on `pair` to `holder`, lease unchanged.
    static func reassign(_ db: Database, pair: Int64, to holder: String) throws {
        try db.execute(sql: "UPDATE claim SET reviewer = ? WHERE pair_id = ?", arguments: [holder, pair])
    }

    /// Every live claim, the soonest to expire first: the dashboard's list.
    static func all(_ db: some QueueReading) throws -> [(pair: Int64, kind: String, holder: String, leaseExpiresAt: Double)] {
        try db.queueRows("SELECT pair_id, kind, reviewer, lease_expires_at FROM claim ORDER BY lease_expires_at, pair_id").map {
            ($0.int64("pair_id"), $0.text("kind"), $0.text("reviewer"), $0.double("lease_expires_at"))
        }
    }
}
