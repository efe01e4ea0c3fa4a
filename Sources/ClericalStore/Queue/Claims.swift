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
package enum Claims {
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
    package struct Selection {
        var pair: Int64?
        var holder: String?

        package init(pair: Int64?, holder: String?) {
            self.pair = pair
            self.holder = holder
        }
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
    static func held<Statement: QueryStatement>(_ prepare: (String) throws -> Statement, pair: Int64) throws -> (kind: Kind, holder: String)? {
        let query = try prepare("SELECT kind, reviewer FROM claim WHERE pair_id = ?")
        query.bind(1, pair)
        return try query.first { row in (Kind(rawValue: row.text(0) ?? "") ?? .review, row.text(1) ?? "") }
    }

    /// Ends the claim on `pair` because its verdict is recorded: the decision sets the states.
    static func end(_ prepare: Prepare, pair: Int64) throws {
        let delete = try prepare(endSQL)
        delete.bind(1, pair)
        try delete.step()
    }

    /// The same inside a transaction on either backend (a label import on a server).
    package static func end(_ db: some QueueWriting, pair: Int64) throws {
        try db.queueExecute(endSQL, [.integer(pair)])
    }

    private static let endSQL = "DELETE FROM claim WHERE pair_id = ?"

    /// Lets go of the selected claims of every kind: each pair goes back where it came from.
    /// Returns the pairs released.
    @discardableResult
    package static func release(_ db: some QueueWriting, _ selection: Selection) throws -> [Int64] {
        // On either backend (a supervisor on a server expires claims through this too).
        var conditions: [String] = [], arguments: [TableValue] = []
        if let pair = selection.pair { conditions.append("pair_id = ?"); arguments.append(.integer(pair)) }
        if let holder = selection.holder { conditions.append("reviewer = ?"); arguments.append(.text(holder)) }
        let claims = try db.queueRows("""
            SELECT pair_id, kind FROM claim\(conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            """, arguments)
        for claim in claims {
            let pair = claim.int64("pair_id")
            switch Kind(rawValue: claim.text("kind")) {
            case .review?, .audit?, nil:
                try db.queueExecute("UPDATE pair SET state = 'pending' WHERE id = ? AND state = 'claimed'", [.integer(pair)])
            case .secondReview?:
                try db.queueExecute("UPDATE second_review SET state = 'pending' WHERE pair_id = ? AND state = 'claimed'", [.integer(pair)])
            case .adjudication?:
                break  // the pair stays disputed, for the next quality lead
            }
            try db.queueExecute("DELETE FROM claim WHERE pair_id = ?", [.integer(pair)])
            // An audit pair handed back waits to be offered again, and its offer does not count.
            if claim.text("kind") == Kind.audit.rawValue,
               let offered = try db.queueRow("SELECT audit_id FROM audit_pair WHERE pair_id = ? AND offered = 1", [.integer(pair)]) {
                try db.queueExecute("UPDATE audit_pair SET offered = 0 WHERE pair_id = ?", [.integer(pair)])
                try db.queueExecute("""
                    UPDATE audit SET offered_audit = CASE WHEN offered_audit > 0 THEN offered_audit - 1 ELSE 0 END WHERE id = ?
                    """, [.integer(offered.int64("audit_id"))])
            }
        }
        return claims.map { $0.int64("pair_id") }
    }

    /// Moves the lease of `holder`'s claim on `pair` to `until` (seconds since 1970).
    package static func renew(_ db: some QueueWriting, pair: Int64, holder: String, until: Double) throws {
        try db.queueExecute("UPDATE claim SET lease_expires_at = ? WHERE pair_id = ? AND reviewer = ?",
                            [.real(until), .integer(pair), .text(holder)])
    }

    /// Hands whatever claim there is on `pair` to `holder`, lease unchanged.
    package static func reassign(_ db: some QueueWriting, pair: Int64, to holder: String) throws {
        try db.queueExecute("UPDATE claim SET reviewer = ? WHERE pair_id = ?", [.text(holder), .integer(pair)])
    }

    /// Every live claim, the soonest to expire first: the dashboard's list.
    static func all(_ db: some QueueReading) throws -> [(pair: Int64, kind: String, holder: String, leaseExpiresAt: Double)] {
        try db.queueRows("SELECT pair_id, kind, reviewer, lease_expires_at FROM claim ORDER BY lease_expires_at, pair_id").map {
            ($0.int64("pair_id"), $0.text("kind"), $0.text("reviewer"), $0.double("lease_expires_at"))
        }
    }
}
