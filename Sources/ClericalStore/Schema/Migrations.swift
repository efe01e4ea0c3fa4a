import Foundation
import GRDB

/// The queue schema. Shipped migrations are never edited and never use app types:
/// a change is a new migration appended here.
enum QueueSchema {
    /// `PRAGMA application_id`: tells a clerical queue from any other SQLite file ("CLRQ").
    static let applicationID: Int32 = 0x434C_5251

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: queue, model, records, patterns, pairs, decisions") { db in
            try db.execute(sql: """
                PRAGMA application_id = \(applicationID);

                -- Facts about the queue as a whole: link type, review band, Splink version.
                CREATE TABLE queue_setting (
                    key   TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                ) STRICT;

                -- The model's structure. position orders comparisons as the gamma vector does.
                CREATE TABLE comparison (
                    id          INTEGER PRIMARY KEY,
                    position    INTEGER NOT NULL UNIQUE,
                    name        TEXT NOT NULL UNIQUE,
                    description TEXT
                ) STRICT;

                CREATE TABLE comparison_level (
                    id            INTEGER PRIMARY KEY,
                    comparison_id INTEGER NOT NULL REFERENCES comparison(id),
                    position      INTEGER NOT NULL,
                    gamma         INTEGER NOT NULL,
                    label         TEXT NOT NULL,
                    is_null       INTEGER NOT NULL CHECK (is_null IN (0, 1)),
                    sql_condition TEXT,
                    UNIQUE (comparison_id, gamma),
                    UNIQUE (comparison_id, position)
                ) STRICT;

                -- The record columns shown to reviewers, in the file's order.
                CREATE TABLE field (
                    position INTEGER PRIMARY KEY,
                    name     TEXT NOT NULL UNIQUE
                ) STRICT;

                -- Every model the queue has had: imported, then each re-estimation.
                CREATE TABLE model_version (
                    id             INTEGER PRIMARY KEY,
                    created_at     TEXT NOT NULL,
                    origin         TEXT NOT NULL CHECK (origin IN ('splink-json', 'predictions', 'reestimated')),
                    lambda         REAL NOT NULL CHECK (lambda > 0 AND lambda < 1),
                    label_count    INTEGER,
                    iterations     INTEGER,
                    log_likelihood REAL,
                    splink_json    TEXT,
                    note           TEXT
                ) STRICT;

                CREATE TABLE level_parameter (
                    model_version_id    INTEGER NOT NULL REFERENCES model_version(id),
                    comparison_level_id INTEGER NOT NULL REFERENCES comparison_level(id),
                    m                   REAL,
                    u                   REAL,
                    weight              REAL NOT NULL,
                    PRIMARY KEY (model_version_id, comparison_level_id)
                ) STRICT, WITHOUT ROWID;

                -- Each source record once. field_values: a JSON array in field.position order.
                CREATE TABLE record (
                    id             INTEGER PRIMARY KEY,
                    source_dataset TEXT NOT NULL,
                    unique_id      TEXT NOT NULL,
                    field_values   TEXT NOT NULL,
                    UNIQUE (source_dataset, unique_id)
                ) STRICT;

                -- Each distinct comparison vector once; its score under the current model.
                CREATE TABLE pattern (
                    id                INTEGER PRIMARY KEY,
                    gammas            TEXT NOT NULL UNIQUE,
                    pair_count        INTEGER NOT NULL DEFAULT 0,
                    match_weight      REAL NOT NULL,
                    match_probability REAL NOT NULL
                ) STRICT;

                CREATE TABLE import_batch (
                    id          INTEGER PRIMARY KEY,
                    file        TEXT NOT NULL,
                    imported_at TEXT NOT NULL,
                    row_count   INTEGER NOT NULL,
                    added       INTEGER NOT NULL,
                    duplicates  INTEGER NOT NULL,
                    pending     INTEGER NOT NULL
                ) STRICT;

                -- A candidate pair. priority: lower is reviewed sooner.
                CREATE TABLE pair (
                    id                         INTEGER PRIMARY KEY,
                    left_record_id             INTEGER NOT NULL REFERENCES record(id),
                    right_record_id            INTEGER NOT NULL REFERENCES record(id),
                    pattern_id                 INTEGER NOT NULL REFERENCES pattern(id),
                    imported_match_weight      REAL NOT NULL,
                    imported_match_probability REAL NOT NULL,
                    match_key                  TEXT,
                    import_batch_id            INTEGER NOT NULL REFERENCES import_batch(id),
                    state    TEXT NOT NULL CHECK (state IN ('auto', 'pending', 'claimed', 'decided', 'disputed')),
                    priority REAL NOT NULL,
                    claimed_by       TEXT,
                    lease_expires_at REAL,
                    UNIQUE (left_record_id, right_record_id)
                ) STRICT;
                -- The queue: only pending and claimed pairs are indexed (a few percent of a
                -- large queue), and a decided pair leaves the index, so a verdict writes little.
                CREATE INDEX pending_pair_by_priority ON pair(priority) WHERE state = 'pending';
                CREATE INDEX claimed_pair_by_priority ON pair(priority) WHERE state = 'claimed';
                CREATE INDEX pair_by_pattern ON pair(pattern_id);

                -- Pairs per state, kept exact so screens never count a million rows: the
                -- trigger follows every state change, the importer adds what it inserts.
                CREATE TABLE pair_state_count (
                    state TEXT PRIMARY KEY,
                    count INTEGER NOT NULL CHECK (count >= 0)
                ) STRICT, WITHOUT ROWID;
                INSERT INTO pair_state_count (state, count)
                VALUES ('auto', 0), ('pending', 0), ('claimed', 0), ('decided', 0), ('disputed', 0);
                CREATE TRIGGER pair_state_count_follows_updates AFTER UPDATE OF state ON pair
                WHEN old.state IS NOT new.state
                BEGIN
                    UPDATE pair_state_count SET count = count - 1 WHERE state = old.state;
                    UPDATE pair_state_count SET count = count + 1 WHERE state = new.state;
                END;

                CREATE TABLE reviewer (
                    name     TEXT PRIMARY KEY,
                    role     TEXT NOT NULL CHECK (role IN ('reviewer', 'supervisor', 'quality-lead')),
                    added_at TEXT NOT NULL
                ) STRICT;

                -- Append-only. A correction or undo is a new row (verdict NULL withdraws the
                -- reviewer's earlier verdict). hash chains each row to the one before it.
                CREATE TABLE decision (
                    id                      INTEGER PRIMARY KEY,
                    pair_id                 INTEGER NOT NULL REFERENCES pair(id),
                    reviewer                TEXT NOT NULL,
                    kind                    TEXT NOT NULL CHECK (kind IN ('review', 'second-review', 'adjudication')),
                    verdict                 TEXT CHECK (verdict IN ('match', 'non-match', 'unsure')),
                    note                    TEXT,
                    decided_at              TEXT NOT NULL,
                    shown_match_weight      REAL,
                    shown_match_probability REAL,
                    previous_hash           TEXT,
                    hash                    TEXT NOT NULL
                ) STRICT;
                CREATE INDEX decision_by_pair ON decision(pair_id);
                CREATE INDEX decision_by_reviewer ON decision(reviewer, id);

                CREATE TRIGGER decision_is_append_only_update BEFORE UPDATE ON decision
                BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
                CREATE TRIGGER decision_is_append_only_delete BEFORE DELETE ON decision
                BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
                """)
        }
        migrator.registerMigration("v2: what each re-estimation saw and did") { db in
            try db.execute(sql: """
                -- decision_watermark: the newest decision a re-estimation counted, so automatic
                -- re-estimation knows how many verdicts have come in since.
                -- report: what the re-estimation changed, as JSON, for status and the dashboard.
                ALTER TABLE model_version ADD COLUMN decision_watermark INTEGER;
                ALTER TABLE model_version ADD COLUMN report TEXT;
                """)
        }
        migrator.registerMigration("v3: the review band belongs to patterns") { db in
            try db.execute(sql: """
                -- A pair's score is its pattern's, so whether it goes to people is too. A pair
                -- waiting for anyone is 'pending'; it is in the review queue when its pattern is
                -- in_band, and decided by the model otherwise. A re-estimation that moves
                -- thousands of patterns across the band then writes those pattern rows, not
                -- millions of pairs. ('auto' is no longer written.)
                ALTER TABLE pattern ADD COLUMN in_band INTEGER NOT NULL DEFAULT 0 CHECK (in_band IN (0, 1));
                -- Pairs of the pattern in state 'pending', kept by the trigger below.
                ALTER TABLE pattern ADD COLUMN open_count INTEGER NOT NULL DEFAULT 0 CHECK (open_count >= 0);
                -- Pairs of the pattern claimed for review so far: each spreads the next one further back.
                ALTER TABLE pattern ADD COLUMN served INTEGER NOT NULL DEFAULT 0;
                -- The priority of the pattern's next pair (lower is reviewed sooner).
                ALTER TABLE pattern ADD COLUMN review_priority REAL NOT NULL DEFAULT 0;

                UPDATE pattern SET in_band = EXISTS (SELECT 1 FROM pair WHERE pattern_id = pattern.id AND state = 'pending'),
                                   review_priority = abs(match_probability - 0.5);
                UPDATE pair SET state = 'pending' WHERE state = 'auto';
                UPDATE pattern SET open_count = (SELECT count(*) FROM pair WHERE pattern_id = pattern.id AND state = 'pending');

                DROP INDEX pending_pair_by_priority;
                CREATE INDEX open_pair_by_pattern ON pair(pattern_id, id) WHERE state = 'pending';
                CREATE INDEX queued_pattern_by_priority ON pattern(review_priority) WHERE in_band = 1 AND open_count > 0;

                -- Open pairs inside (1) and outside (0) the band, kept exact like pair_state_count.
                CREATE TABLE band_count (
                    in_band INTEGER PRIMARY KEY,
                    count   INTEGER NOT NULL CHECK (count >= 0)
                ) STRICT;
                INSERT INTO band_count (in_band, count)
                SELECT b.in_band, (SELECT coalesce(sum(open_count), 0) FROM pattern WHERE in_band = b.in_band)
                FROM (SELECT 0 AS in_band UNION ALL SELECT 1) b;

                -- A claim from the queue serves the pattern: its next pair waits a little longer,
                -- 0.05 for each doubling of the pairs served (ReviewPriority in ClericalCore).
                CREATE TRIGGER open_count_follows_pairs AFTER UPDATE OF state ON pair
                WHEN old.state IS NOT new.state AND (old.state = 'pending' OR new.state = 'pending')
                BEGIN
                    UPDATE pattern SET
                        open_count = open_count + (new.state = 'pending') - (old.state = 'pending'),
                        served = served + (new.state = 'claimed'),
                        review_priority = abs(match_probability - 0.5) + 0.05 * ((served + (new.state = 'claimed') + 1 >= 2) + (served + (new.state = 'claimed') + 1 >= 4) + (served + (new.state = 'claimed') + 1 >= 8) + (served + (new.state = 'claimed') + 1 >= 16) + (served + (new.state = 'claimed') + 1 >= 32) + (served + (new.state = 'claimed') + 1 >= 64) + (served + (new.state = 'claimed') + 1 >= 128) + (served + (new.state = 'claimed') + 1 >= 256) + (served + (new.state = 'claimed') + 1 >= 512) + (served + (new.state = 'claimed') + 1 >= 1024) + (served + (new.state = 'claimed') + 1 >= 2048) + (served + (new.state = 'claimed') + 1 >= 4096) + (served + (new.state = 'claimed') + 1 >= 8192) + (served + (new.state = 'claimed') + 1 >= 16384) + (served + (new.state = 'claimed') + 1 >= 32768) + (served + (new.state = 'claimed') + 1 >= 65536) + (served + (new.state = 'claimed') + 1 >= 131072) + (served + (new.state = 'claimed') + 1 >= 262144) + (served + (new.state = 'claimed') + 1 >= 524288) + (served + (new.state = 'claimed') + 1 >= 1048576))
                    WHERE id = new.pattern_id;
                END;
                CREATE TRIGGER band_count_follows_open_count AFTER UPDATE OF open_count, in_band ON pattern
                WHEN old.open_count IS NOT new.open_count AND old.in_band IS new.in_band
                BEGIN
                    UPDATE band_count SET count = count + new.open_count - old.open_count WHERE in_band = new.in_band;
                END;
                CREATE TRIGGER band_count_follows_band AFTER UPDATE OF open_count, in_band ON pattern
                WHEN old.in_band IS NOT new.in_band
                BEGIN
                    UPDATE band_count SET count = count - old.open_count WHERE in_band = old.in_band;
                    UPDATE band_count SET count = count + new.open_count WHERE in_band = new.in_band;
                END;
                """)
        }
        migrator.registerMigration("v4: blind second review, adjudication, reservations") { db in
            try db.execute(sql: """
                -- A decided pair picked for a blind second review (clerical qa sample). Reviewers
                -- other than the first meet it in their flow; when the two verdicts differ the
                -- pair becomes 'disputed' until a quality lead adjudicates it.
                CREATE TABLE second_review (
                    pair_id          INTEGER PRIMARY KEY REFERENCES pair(id),
                    first_reviewer   TEXT NOT NULL,
                    stratum          TEXT NOT NULL,
                    sampled_at       TEXT NOT NULL,
                    state            TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'done')),
                    claimed_by       TEXT,
                    lease_expires_at REAL
                ) STRICT;
                CREATE INDEX open_second_review ON second_review(pair_id) WHERE state <> 'done';
                -- Disputed pairs wait for adjudication; claimed_by and lease_expires_at on the pair
                -- hold the adjudicator's claim.
                CREATE INDEX disputed_pair ON pair(id) WHERE state = 'disputed';

                -- Part of the queue kept for named reviewers (set by supervisors): the patterns
                -- whose match probability lies in [low, high], or a share of the pairs (those
                -- whose id modulo 1000 lies in [share_from, share_to)). Others pass them over.
                CREATE TABLE reservation (
                    id         INTEGER PRIMARY KEY,
                    reviewer   TEXT NOT NULL,
                    low        REAL,
                    high       REAL,
                    share_from INTEGER,
                    share_to   INTEGER,
                    created_at TEXT NOT NULL,
                    CHECK ((low IS NOT NULL AND high IS NOT NULL AND low <= high) OR
                           (share_from IS NOT NULL AND share_to IS NOT NULL AND share_from < share_to))
                ) STRICT;
                """)
        }
        migrator.registerMigration("v5: CHECK constraints as comparisons", foreignKeyChecks: .immediate) { db in
            // SQLite checks `x IN ('a', 'b', 'c')` (three or more constants) through an
            // ephemeral table built each time a row is written: four per verdict, each with
            // its own page cache to allocate and free. The same rules as OR chains are plain
            // comparisons. Every stored row already satisfies them, so only the stored table
            // definitions change, by SQLite's procedure for constraint-only changes
            // (lang_altertable.html, "Making Other Kinds Of Table Schema Changes"): no table
            // is rebuilt, however many pairs the queue holds, and no row changes, so there is
            // no foreign-key pass over the file afterwards (`.immediate`).
            try rewriteTableDefinitions(db, [
                (table: "pair",
                 from: "CHECK (state IN ('auto', 'pending', 'claimed', 'decided', 'disputed'))",
                 to: "CHECK (state = 'auto' OR state = 'pending' OR state = 'claimed' OR state = 'decided' OR state = 'disputed')"),
                (table: "decision",
                 from: "CHECK (kind IN ('review', 'second-review', 'adjudication'))",
                 to: "CHECK (kind = 'review' OR kind = 'second-review' OR kind = 'adjudication')"),
                (table: "decision",
                 from: "CHECK (verdict IN ('match', 'non-match', 'unsure'))",
                 to: "CHECK (verdict = 'match' OR verdict = 'non-match' OR verdict = 'unsure')"),
                (table: "second_review",
                 from: "CHECK (state IN ('pending', 'claimed', 'done'))",
                 to: "CHECK (state = 'pending' OR state = 'claimed' OR state = 'done')"),
            ])
        }
        migrator.registerMigration("v6: models beyond independence, audit samples") { db in
            try db.execute(sql: """
                -- Which model a re-estimation kept, and the correction it learned from verdicts
                -- (InteractionCorrection as JSON) when it kept the dependent model.
                ALTER TABLE model_version ADD COLUMN kind TEXT
                    CHECK (kind IS NULL OR kind = 'imported' OR kind = 'independent' OR kind = 'dependent');
                ALTER TABLE model_version ADD COLUMN correction TEXT;

                -- An audit: a probability sample of the pairs the model decided on its own.
                CREATE TABLE audit (
                    id          INTEGER PRIMARY KEY,
                    created_at  TEXT NOT NULL,
                    created_by  TEXT NOT NULL,
                    design      TEXT NOT NULL CHECK (design = 'simple' OR design = 'band'),
                    share       REAL NOT NULL CHECK (share >= 0 AND share <= 1),
                    seed        INTEGER NOT NULL,
                    -- Pairs offered to reviewers while it lasts, from the audit and from the band,
                    -- so that the audit's share of what is offered stays at `share`.
                    offered_audit INTEGER NOT NULL DEFAULT 0,
                    offered_band  INTEGER NOT NULL DEFAULT 0
                ) STRICT;

                -- A stratum of an audit: its frame size and sample size (inclusion n/N).
                CREATE TABLE audit_stratum (
                    audit_id    INTEGER NOT NULL REFERENCES audit(id),
                    stratum     TEXT NOT NULL,
                    frame_size  INTEGER NOT NULL CHECK (frame_size > 0),
                    sample_size INTEGER NOT NULL CHECK (sample_size >= 0 AND sample_size <= frame_size),
                    PRIMARY KEY (audit_id, stratum)
                ) STRICT;

                -- A drawn pair, with its inclusion probability: estimates from it are design-unbiased.
                CREATE TABLE audit_pair (
                    pair_id     INTEGER PRIMARY KEY REFERENCES pair(id),
                    audit_id    INTEGER NOT NULL REFERENCES audit(id),
                    stratum     TEXT NOT NULL,
                    inclusion_probability REAL NOT NULL CHECK (inclusion_probability > 0 AND inclusion_probability <= 1),
                    -- The model's decision and probability when it was drawn.
                    drawn_probability REAL NOT NULL,
                    -- 1 once it has been offered to a reviewer (claimed); 0 while it waits.
                    offered     INTEGER NOT NULL DEFAULT 0 CHECK (offered = 0 OR offered = 1)
                ) STRICT;
                CREATE INDEX audit_pair_waiting ON audit_pair(audit_id, pair_id) WHERE offered = 0;

                -- The frame by pattern: how many of each pattern's pairs each stratum drew from,
                -- so that estimates know which unreviewed pairs a sample stands for (O(patterns)).
                CREATE TABLE audit_frame (
                    audit_id    INTEGER NOT NULL REFERENCES audit(id),
                    stratum     TEXT NOT NULL,
                    pattern_id  INTEGER NOT NULL REFERENCES pattern(id),
                    pairs       INTEGER NOT NULL CHECK (pairs > 0),
                    PRIMARY KEY (audit_id, stratum, pattern_id)
                ) STRICT;
                """)
        }
        migrator.registerMigration("v7: one claim table", foreignKeyChecks: .immediate) { db in
            try db.execute(sql: """
                -- A claim: who holds which pair, for what kind of decision, until when, and the
                -- priority it was claimed at (where the pair stands should the lease run out).
                -- One per pair. The rows claimed keep only their state.
                CREATE TABLE claim (
                    pair_id          INTEGER PRIMARY KEY REFERENCES pair(id),
                    kind             TEXT NOT NULL
                        CHECK (kind = 'review' OR kind = 'audit' OR kind = 'second-review' OR kind = 'adjudication'),
                    reviewer         TEXT NOT NULL,
                    lease_expires_at REAL NOT NULL,
                    priority         REAL NOT NULL
                ) STRICT;
                INSERT OR IGNORE INTO claim
                    SELECT p.id, CASE WHEN a.offered = 1 THEN 'audit' ELSE 'review' END, coalesce(p.claimed_by, ''),
                           coalesce(p.lease_expires_at, 0), p.priority
                    FROM pair p LEFT JOIN audit_pair a ON a.pair_id = p.id WHERE p.state = 'claimed';
                INSERT OR IGNORE INTO claim
                    SELECT s.pair_id, 'second-review', coalesce(s.claimed_by, ''), coalesce(s.lease_expires_at, 0), 0
                    FROM second_review s WHERE s.state = 'claimed';
                INSERT OR IGNORE INTO claim
                    SELECT id, 'adjudication', claimed_by, coalesce(lease_expires_at, 0), 0
                    FROM pair WHERE state = 'disputed' AND claimed_by IS NOT NULL;

                DROP INDEX claimed_pair_by_priority;
                ALTER TABLE pair DROP COLUMN claimed_by;
                ALTER TABLE pair DROP COLUMN lease_expires_at;
                ALTER TABLE pair DROP COLUMN priority;
                ALTER TABLE second_review DROP COLUMN claimed_by;
                ALTER TABLE second_review DROP COLUMN lease_expires_at;
                """)
        }
        // (The name is the migration's identity in queues already migrated: it stays as first
        // written, though the index of reviewed pairs it once made is now v10's to drop.)
        migrator.registerMigration("v8: a record's candidates, a pattern's reviewed pairs", foreignKeyChecks: .immediate) { db in
            try db.execute(sql: """
                -- The review screen lists each record's other candidates (the UNIQUE index on
                -- (left_record_id, right_record_id) finds them from the left).
                CREATE INDEX pair_by_right_record ON pair(right_record_id);
                """)
        }
        migrator.registerMigration("v9: reveals in masked review", foreignKeyChecks: .immediate) { db in
            try db.execute(sql: """
                -- A reviewer in masked review showing values in full: the pair, the field (NULL:
                -- the whole pair), when. Append-only and hash-chained like decisions.
                CREATE TABLE reveal (
                    id            INTEGER PRIMARY KEY,
                    pair_id       INTEGER NOT NULL REFERENCES pair(id),
                    reviewer      TEXT NOT NULL,
                    field         TEXT,
                    revealed_at   TEXT NOT NULL,
                    previous_hash TEXT,
                    hash          TEXT NOT NULL
                ) STRICT;
                CREATE INDEX reveal_by_pair ON reveal(pair_id);
                CREATE TRIGGER reveal_is_append_only_update BEFORE UPDATE ON reveal
                BEGIN SELECT RAISE(ABORT, 'reveals are append-only'); END;
                CREATE TRIGGER reveal_is_append_only_delete BEFORE DELETE ON reveal
                BEGIN SELECT RAISE(ABORT, 'reveals are append-only'); END;
                """)
        }
        migrator.registerMigration("v10: verdicts per pattern, kept by a trigger", foreignKeyChecks: .immediate) { db in
            try db.execute(sql: """
                -- The review screen's pattern history: per pattern, the standing verdicts (each
                -- pair's latest decision row, when it has a verdict). A decision row takes back the
                -- pair's previous one and adds its own, so the screen reads one row, not the
                -- pattern's reviewed pairs one by one.
                CREATE TABLE pattern_verdicts (
                    pattern_id  INTEGER PRIMARY KEY REFERENCES pattern(id),
                    matches     INTEGER NOT NULL DEFAULT 0,
                    non_matches INTEGER NOT NULL DEFAULT 0,
                    unsure      INTEGER NOT NULL DEFAULT 0
                ) STRICT;
                INSERT INTO pattern_verdicts (pattern_id, matches, non_matches, unsure)
                    SELECT p.pattern_id, sum(d.verdict = 'match'), sum(d.verdict = 'non-match'), sum(d.verdict = 'unsure')
                    FROM decision d JOIN pair p ON p.id = d.pair_id
                    WHERE d.id = (SELECT max(id) FROM decision WHERE pair_id = d.pair_id) AND d.verdict IS NOT NULL
                    GROUP BY p.pattern_id;
                CREATE TRIGGER pattern_verdicts_follow_decisions AFTER INSERT ON decision
                BEGIN
                    INSERT OR IGNORE INTO pattern_verdicts (pattern_id) SELECT pattern_id FROM pair WHERE id = new.pair_id;
                    -- (No UPDATE … FROM: SQLite would materialise it in an ephemeral table per verdict.)
                    UPDATE pattern_verdicts SET
                        matches = matches + (new.verdict IS 'match')
                            - ((SELECT verdict FROM decision WHERE pair_id = new.pair_id AND id < new.id ORDER BY id DESC LIMIT 1) IS 'match'),
                        non_matches = non_matches + (new.verdict IS 'non-match')
                            - ((SELECT verdict FROM decision WHERE pair_id = new.pair_id AND id < new.id ORDER BY id DESC LIMIT 1) IS 'non-match'),
                        unsure = unsure + (new.verdict IS 'unsure')
                            - ((SELECT verdict FROM decision WHERE pair_id = new.pair_id AND id < new.id ORDER BY id DESC LIMIT 1) IS 'unsure')
                    WHERE pattern_id = (SELECT pattern_id FROM pair WHERE id = new.pair_id);
                END;
                -- An index of reviewed pairs by pattern that an earlier build of v8 made.
                DROP INDEX IF EXISTS reviewed_pair_by_pattern;
                """)
        }
        migrator.registerMigration("v11: a pattern's pairs and an audit's are served in a random order") { db in
            try db.execute(sql: """
                -- Every pair of a pattern looks the same to the model, so the pairs reviewed are
                -- meant to be a fair sample of it. In id order they were not: a file's row order
                -- often follows the truth (duplicates written beside their originals), and the
                -- verdicts then misjudged the pattern. A pattern's open pairs are taken in the
                -- order of a multiplicative hash of the id instead (Claims.Order.drawOrder), and
                -- so are an audit's, so that the part of an audit offered so far is a fair part.
                CREATE INDEX open_pair_by_draw ON pair(pattern_id, id * 2654435761 % 4294967296) WHERE state = 'pending';
                DROP INDEX open_pair_by_pattern;
                CREATE INDEX audit_pair_waiting_by_draw ON audit_pair(audit_id, pair_id * 2654435761 % 4294967296) WHERE offered = 0;
                DROP INDEX audit_pair_waiting;
                """)
        }
        return migrator
    }

    /// Replaces text in the stored `CREATE TABLE` of tables, for changes that leave every
    /// stored row valid (a constraint restated): the schema text is edited in place and the
    /// schema version bumped, so every connection re-reads it. Runs inside the migration's
    /// transaction; a fragment that is not there exactly once aborts it.
    private static func rewriteTableDefinitions(_ db: Database, _ edits: [(table: String, from: String, to: String)]) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
        try db.execute(sql: "PRAGMA writable_schema = ON")
        for edit in edits {
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                          arguments: [edit.table]) ?? ""
            guard sql.components(separatedBy: edit.from).count == 2 else {
                try db.execute(sql: "PRAGMA writable_schema = OFF")
                throw DatabaseError(message: "table \(edit.table) does not read as expected: cannot restate \(edit.from)")
            }
            try db.execute(sql: "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                           arguments: [sql.replacingOccurrences(of: edit.from, with: edit.to), edit.table])
        }
        try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
        try db.execute(sql: "PRAGMA writable_schema = OFF")
        // The new version makes SQLite parse the schema again before this runs: a definition
        // that does not parse fails here and the migration rolls back. (No scan of the data,
        // which already satisfies the restated rules; `clerical verify` checks the whole file.)
        for table in Set(edits.map(\.table)) {
            _ = try Row.fetchOne(db, sql: "SELECT * FROM \(table) LIMIT 0")
        }
    }
}
