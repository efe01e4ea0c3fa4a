import ClericalCore
import Foundation
import GRDB

/// What `clerical qa audit` asks for.
public struct AuditRequest: Sendable {
    public enum Size: Sendable { case count(Int), fraction(Double) }
    public var size: Size
    public var stratify = AuditStratification.band
    /// How a `band` audit splits its sample across the strata.
    public var allocation = AuditAllocation.proportional
    /// The share of the pairs offered to reviewers that come from the audit while it lasts.
    public var share = 0.5
    public var seed: UInt64 = 1

    public init(size: Size) { self.size = size }
}

public struct AuditSummary: Sendable, Equatable {
    public var auditID: Int64
    /// Pairs the model had decided on its own, not drawn before: the frame.
    public var eligible: Int
    public var drawn: Int
    /// Per stratum: frame size and sample size.
    public var strata: [String: (frame: Int, sample: Int)]

    public static func == (a: AuditSummary, b: AuditSummary) -> Bool {
        a.auditID == b.auditID && a.eligible == b.eligible && a.drawn == b.drawn
            && a.strata.mapValues { [$0.frame, $0.sample] } == b.strata.mapValues { [$0.frame, $0.sample] }
    }
}

/// Audits of the pairs the model decided on its own (outside the review band, on either side):
/// a probability sample whose inclusion probabilities are stored, offered to reviewers blind
/// and unmarked in their normal flow, so each verdict is both a label for the model and a
/// sample unit for estimating the linkage's error rates.
///
///     try QualityAudit.draw(queue: "queue.db", AuditRequest(size: .count(500)), by: "quinn")
public enum QualityAudit {
    public static func draw(queue path: String, _ request: AuditRequest, by account: String) throws(ClericalError) -> AuditSummary {
        try QueueFile.using(path, writing: true) { db in try draw(db, request, by: account) }
    }

    /// The draw on either backend, inside the caller's transaction.
    package static func draw(_ db: some QueueWriting, _ request: AuditRequest, by account: String) throws -> AuditSummary {
        // The frame: pending pairs of patterns outside the band, not in an audit already.
        var frame: [String: [(pairID: Int64, probability: Double)]] = [:]
        var framePatterns: [String: [Int64: Int]] = [:]
        var eligible = 0
        for row in try db.queueRows("""
            SELECT p.id, t.match_probability, p.pattern_id FROM pair p JOIN pattern t ON t.id = p.pattern_id
            WHERE p.state = 'pending' AND t.in_band = 0 AND NOT EXISTS (SELECT 1 FROM audit_pair a WHERE a.pair_id = p.id)
            ORDER BY p.id
            """) {
            let probability = row.double("match_probability")
            let stratum = AuditBands.stratum(probability, request.stratify)
            frame[stratum, default: []].append((row.int64("id"), probability))
            framePatterns[stratum, default: [:]][row.int64("pattern_id"), default: 0] += 1
            eligible += 1
        }
        let wanted: Int
        switch request.size {
        case .count(let n):
            guard n <= eligible else {
                throw ClericalError(.dataError, "--count \(n) is more than the \(eligible) pairs the model decided on its own that are not in an audit yet")
            }
            wanted = n
        case .fraction(let f): wanted = Int((Double(eligible) * f).rounded())
        }
        guard wanted > 0 else {
            throw ClericalError(.dataError, "nothing to draw: \(eligible) pairs are eligible (decided by the model, not audited yet)")
        }
        // At least two per stratum, so each has an error rate with a variance, and the small
        // strata near the review band (where a model's confident mistakes sit) are sampled.
        let sizes = frame.mapValues(\.count)
        let allocation = switch request.allocation {
        case .proportional: StratifiedAllocation.proportional(sizes: sizes, total: wanted, minimum: 2)
        case .neyman: try neymanSplit(db, frame: frame, framePatterns: framePatterns, total: wanted)
        }
        guard let auditID = try db.queueRow("""
            INSERT INTO audit (created_at, created_by, design, share, seed) VALUES (?, ?, ?, ?, ?) RETURNING id
            """, [.text(Timestamp.now()), .text(account), .text(request.stratify == .band ? "band" : "simple"), .real(request.share),
                  .integer(Int64(bitPattern: request.seed))])?.optionalInt64("id") else {
            throw ClericalError(.ioError, "the audit's row was not written")
        }
        var random = SeededGenerator(seed: request.seed)
        var summary = AuditSummary(auditID: auditID, eligible: eligible, drawn: 0, strata: [:])
        for name in frame.keys.sorted() {
            for (patternID, pairs) in (framePatterns[name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                try db.queueExecute("INSERT INTO audit_frame (audit_id, stratum, pattern_id, pairs) VALUES (?, ?, ?, ?)",
                                    [.integer(auditID), .text(name), .integer(patternID), .integer(Int64(pairs))])
            }
            let members = frame[name]!
            let n = allocation[name] ?? 0
            try db.queueExecute("INSERT INTO audit_stratum (audit_id, stratum, frame_size, sample_size) VALUES (?, ?, ?, ?)",
                                [.integer(auditID), .text(name), .integer(Int64(members.count)), .integer(Int64(n))])
            summary.strata[name] = (members.count, n)
            guard n > 0 else { continue }
            // Drawn in random order; offered in pair order, which is as random (the draw decides).
            let inclusion = Double(n) / Double(members.count)
            for member in members.shuffled(using: &random).prefix(n) {
                try db.queueExecute("""
                    INSERT INTO audit_pair (pair_id, audit_id, stratum, inclusion_probability, drawn_probability) VALUES (?, ?, ?, ?, ?)
                    """, [.integer(member.pairID), .integer(auditID), .text(name), .real(inclusion), .real(member.probability)])
            }
            summary.drawn += n
        }
        return summary
    }

    /// Neyman's split of `total` over the frame's strata. The model's own expected error rate in
    /// each stratum plans it (in pair order, so the sums do not depend on the order the rows came
    /// in). A top-up plans with what earlier audits drew from the same patterns, which `qa
    /// quality` reads as one sample with this one (`LinkageQualityReport`'s cells), and takes each
    /// stratum's rate from their verdicts there, the model's expectation weighing as one more.
    private static func neymanSplit(_ db: some QueueReading, frame: [String: [(pairID: Int64, probability: Double)]],
                                    framePatterns: [String: [Int64: Int]], total: Int) throws -> [String: Int] {
        var rates = frame.mapValues { members in
            members.reduce(0) { $0 + min($1.probability, 1 - $1.probability) } / Double(members.count)
        }
        var stratumOf: [Int64: String] = [:]
        for (name, patterns) in framePatterns { for patternID in patterns.keys { stratumOf[patternID] = name } }
        var drawnBefore: [String: Int] = [:]
        var drawnPairs: Set<Int64> = []
        for row in try db.queueRows("SELECT a.pair_id, p.pattern_id FROM audit_pair a JOIN pair p ON p.id = a.pair_id") {
            guard let name = stratumOf[row.int64("pattern_id")] else { continue }
            drawnBefore[name, default: 0] += 1
            drawnPairs.insert(row.int64("pair_id"))
        }
        if !drawnPairs.isEmpty {
            var probability: [Int64: Double] = [:]
            for row in try db.queueRows("SELECT id, match_probability FROM pattern") { probability[row.int64("id")] = row.double("match_probability") }
            // A verdict is an error against the pattern's decision now, as the estimate counts it.
            var seen: [String: (errors: Double, verdicts: Int)] = [:]
            for labelled in try FinalVerdictQuery.all(db) where labelled.verdict != .unsure && drawnPairs.contains(labelled.pairID) {
                guard let name = stratumOf[labelled.patternID], let p = probability[labelled.patternID] else { continue }
                seen[name, default: (0, 0)].errors += (labelled.verdict == .match) != (p >= 0.5) ? 1 : 0
                seen[name, default: (0, 0)].verdicts += 1
            }
            for (name, counts) in seen { rates[name] = (counts.errors + (rates[name] ?? 0)) / Double(counts.verdicts + 1) }
        }
        return StratifiedAllocation.minimumVariance(sizes: frame.mapValues(\.count), expectedErrorRates: rates, total: total, minimum: 2,
                                                    drawnBefore: drawnBefore)
    }
}
