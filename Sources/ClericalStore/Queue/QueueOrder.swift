import ClericalCore
import GRDB

/// The review order of pending pairs (`pair.priority`), from the current pattern scores.
enum QueueOrder {
    /// Gives every pending pair its priority under the current model: nearest 0.5 first,
    /// spread across patterns (`ReviewPriority`). Within a pattern the pairs keep the order
    /// they had. Costs O(pending pairs), not O(pairs). Returns how many pairs it ordered.
    @discardableResult
    static func reprioritise(_ db: Database) throws -> Int {
        let pending = try RawStatement(db, sql: """
            SELECT p.id, p.pattern_id, t.match_probability FROM pair p JOIN pattern t ON t.id = p.pattern_id
            WHERE p.state = 'pending' ORDER BY p.pattern_id, p.priority, p.id
            """)
        var priorities: [(id: Int64, priority: Double)] = []
        var pattern: Int64 = -1
        var rank = 0
        try pending.each { row in
            let patternID = row.int64(1)
            rank = patternID == pattern ? rank + 1 : 0
            pattern = patternID
            priorities.append((row.int64(0), ReviewPriority.of(probability: row.double(2), rankInPattern: rank)))
        }
        let update = try RawStatement(db, sql: "UPDATE pair SET priority = ? WHERE id = ?")
        for entry in priorities {
            update.bind(1, entry.priority)
            update.bind(2, entry.id)
            try update.step()
        }
        return priorities.count
    }
}
