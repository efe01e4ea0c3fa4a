import GRDB

/// Ending, renewing and moving claims, of every kind, in one place.
///
/// A claim today is a holder and a lease on a row whose state says which kind it is: a pair
/// `claimed` (review, audit), a `second_review` row `claimed`, a pair `disputed` with a holder
/// (adjudication). Every path that lets go of a claim comes here (the reviewer handing a pair
/// back, a supervisor expiring or reassigning one, `reviewers remove`), so they agree on what
/// "released" means: the pair goes back where it came from, and an audit pair is offered again.
enum Claims {
    /// Who holds a claim on which pair: `holder` nil means whoever holds it.
    struct Selection {
        var pair: Int64?
        var holder: String?
    }

    /// Ends the selected claims of every kind. Returns the pairs released.
    @discardableResult
    static func release(_ db: Database, _ selection: Selection) throws -> [Int64] {
        let pairs = try claimedPairs(db, selection)
        for pair in pairs {
            let holder = selection.holder
            try db.execute(sql: """
                UPDATE pair SET state = 'pending', claimed_by = NULL, lease_expires_at = NULL
                WHERE id = ? AND state = 'claimed' AND (?2 IS NULL OR claimed_by = ?2)
                """, arguments: [pair, holder])
            let wasQueued = db.changesCount > 0
            try db.execute(sql: """
                UPDATE second_review SET state = 'pending', claimed_by = NULL, lease_expires_at = NULL
                WHERE pair_id = ? AND state = 'claimed' AND (?2 IS NULL OR claimed_by = ?2)
                """, arguments: [pair, holder])
            try db.execute(sql: """
                UPDATE pair SET claimed_by = NULL, lease_expires_at = NULL
                WHERE id = ? AND state = 'disputed' AND claimed_by IS NOT NULL AND (?2 IS NULL OR claimed_by = ?2)
                """, arguments: [pair, holder])
            // An audit pair handed back waits to be offered again, and its offer does not count.
            if wasQueued {
                try db.execute(sql: "UPDATE audit_pair SET offered = 0 WHERE pair_id = ? AND offered = 1", arguments: [pair])
                if db.changesCount > 0 {
                    try db.execute(sql: """
                        UPDATE audit SET offered_audit = max(0, offered_audit - 1) WHERE id = (SELECT audit_id FROM audit_pair WHERE pair_id = ?)
                        """, arguments: [pair])
                }
            }
        }
        return pairs
    }

    /// Moves the lease of `holder`'s claim on `pair` to `until` (seconds since 1970).
    static func renew(_ db: Database, pair: Int64, holder: String, until: Double) throws {
        try db.execute(sql: "UPDATE pair SET lease_expires_at = ? WHERE id = ? AND state IN ('claimed', 'disputed') AND claimed_by = ?",
                       arguments: [until, pair, holder])
        try db.execute(sql: "UPDATE second_review SET lease_expires_at = ? WHERE pair_id = ? AND state = 'claimed' AND claimed_by = ?",
                       arguments: [until, pair, holder])
    }

    /// Hands whatever claim there is on `pair` to `holder`, lease unchanged.
    static func reassign(_ db: Database, pair: Int64, to holder: String) throws {
        try db.execute(sql: "UPDATE pair SET claimed_by = ? WHERE id = ? AND (state = 'claimed' OR (state = 'disputed' AND claimed_by IS NOT NULL))",
                       arguments: [holder, pair])
        try db.execute(sql: "UPDATE second_review SET claimed_by = ? WHERE pair_id = ? AND state = 'claimed'",
                       arguments: [holder, pair])
    }

    /// The pairs with a selected claim of any kind.
    private static func claimedPairs(_ db: Database, _ selection: Selection) throws -> [Int64] {
        if let pair = selection.pair { return [pair] }
        return try Int64.fetchAll(db, sql: """
            SELECT id FROM pair WHERE state IN ('claimed', 'disputed') AND claimed_by IS NOT NULL AND (?1 IS NULL OR claimed_by = ?1)
            UNION SELECT pair_id FROM second_review WHERE state = 'claimed' AND (?1 IS NULL OR claimed_by = ?1)
            """, arguments: [selection.holder])
    }
}
