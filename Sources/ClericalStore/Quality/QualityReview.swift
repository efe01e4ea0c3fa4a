import ClericalCore
import Foundation
import GRDB

/// How a quality lead picks decided pairs for blind second review.
public struct SampleRequest: Sendable {
    public enum Size: Sendable {
        case fraction(Double)
        case count(Int)
    }

    public enum Stratum: String, Sendable, CaseIterable {
        /// Match probability shown at the first verdict, in tenths.
        case band
        /// The first reviewer.
        case reviewer
    }

    public var size: Size
    public var stratify: Stratum = .band
    public var seed: UInt64 = 1

    public init(size: Size) {
        self.size = size
    }
}

public struct SampleSummary: Sendable, Equatable {
    /// Pairs picked, per stratum.
    public var byStratum: [String: Int] = [:]
    /// Decided pairs that could be picked (a standing first verdict, not sampled before).
    public var eligible = 0
    public var picked: Int { byStratum.values.reduce(0, +) }
}

/// One stratum of the agreement report.
public struct AgreementGroup: Sendable, Equatable {
    public var name: String
    public var agreement: Agreement
    /// Of the first verdicts settled so far, the share the final verdict went against.
    public var overturned: Int
    public var settled: Int
}

/// A pair whose two verdicts disagree, waiting for (or settled by) adjudication.
public struct Dispute: Sendable, Equatable {
    public var pairID: Int64
    public var left: String
    public var right: String
    public var first: DisputedVerdict
    public var second: DisputedVerdict
    public var adjudicated: Verdict?
}

public struct QualityReport: Sendable, Equatable {
    public var overall: Agreement
    public var byBand: [AgreementGroup]
    public var byReviewer: [AgreementGroup]
    public var disputes: [Dispute]
    public var sampled: Int
    public var awaitingSecondReview: Int
    /// Masked review: each reviewer's reveals.
    public var reveals: [RevealSummary] = []
}

/// Blind second review: sampling decided pairs, and measuring how far the two reviews agree.
///
///     var request = SampleRequest(size: .fraction(0.1))
///     try QualityReview.sample(queue: "queue.db", request)
///     let report = try QualityReview.report(queue: "queue.db")
public enum QualityReview {
    /// Picks decided pairs for a blind second review by a different reviewer, in proportion
    /// to each stratum's size (largest remainders make the count exact), at random within it.
    public static func sample(queue path: String, _ request: SampleRequest) throws(ClericalError) -> SampleSummary {
        try QueueFile.using(path, writing: true) { db in try sample(db, request) }
    }

    /// The sample on either backend, inside the caller's transaction.
    package static func sample(_ db: some QueueWriting, _ request: SampleRequest) throws -> SampleSummary {
        // The standing first verdicts not sampled before.
        let candidates = try db.queueRows("""
            SELECT d.pair_id, d.reviewer, d.shown_match_probability FROM decision d
            WHERE d.id IN (SELECT max(id) FROM decision WHERE kind = 'review' GROUP BY pair_id)
              AND d.verdict IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM second_review s WHERE s.pair_id = d.pair_id)
            ORDER BY d.pair_id
            """).map { row -> (pairID: Int64, reviewer: String, stratum: String) in
            let stratum = request.stratify == .reviewer ? row.text("reviewer") : bandName(row.optionalDouble("shown_match_probability"))
            return (row.int64("pair_id"), row.text("reviewer"), stratum)
        }
        var summary = SampleSummary(eligible: candidates.count)
        let wanted: Int
        switch request.size {
        case .fraction(let f): wanted = Int((Double(candidates.count) * f).rounded())
        case .count(let n): wanted = min(n, candidates.count)
        }
        guard wanted > 0 else { return summary }
        let strata = Dictionary(grouping: candidates, by: \.stratum)
        let allocation = StratifiedAllocation.proportional(
            sizes: strata.mapValues(\.count), total: wanted)
        var random = SeededGenerator(seed: request.seed)
        let now = Timestamp.now()
        for stratum in strata.keys.sorted() {
            let members = strata[stratum]!.shuffled(using: &random).prefix(allocation[stratum] ?? 0)
            for member in members {
                try db.queueExecute("""
                    INSERT INTO second_review (pair_id, first_reviewer, stratum, sampled_at, state) VALUES (?, ?, ?, ?, 'pending')
                    """, [.integer(member.pairID), .text(member.reviewer), .text(stratum), .text(now)])
            }
            summary.byStratum[stratum] = members.count
        }
        return summary
    }

    static func bandName(_ probability: Double?) -> String {
        guard let probability else { return "no score shown" }
        let tenth = min(9, max(0, Int(probability * 10)))
        return String(format: "%.1f–%.1f", Double(tenth) / 10, Double(tenth + 1) / 10)
    }

    /// Agreement between first and second reviews, overall, by band and by first reviewer,
    /// with every dispute.
    public static func report(queue path: String) throws(ClericalError) -> QualityReport {
        try QueueFile.using(path) { db in try report(db) }
    }

    private struct Latest { var review: DisputedVerdict?; var second: DisputedVerdict?; var adjudication: Verdict? }

    /// The report on either backend.
    package static func report(_ db: some QueueReading) throws -> QualityReport {
        var latest: [Int64: Latest] = [:]
        for row in try db.queueRows("""
            SELECT d.pair_id, d.reviewer, d.kind, d.verdict, d.note FROM decision d
            WHERE d.id IN (SELECT max(id) FROM decision WHERE pair_id IN (SELECT pair_id FROM second_review) GROUP BY pair_id, kind)
            """) {
            guard let kind = DecisionKind(rawValue: row.text("kind")), let verdict = row.optionalText("verdict").flatMap(Verdict.init) else { continue }
            let entry = DisputedVerdict(reviewer: row.text("reviewer"), kind: kind, verdict: verdict, note: row.optionalText("note"))
            let pairID = row.int64("pair_id")
            switch kind {
            case .review: latest[pairID, default: Latest()].review = entry
            case .secondReview: latest[pairID, default: Latest()].second = entry
            case .adjudication: latest[pairID, default: Latest()].adjudication = verdict
            }
        }
        let strata = Dictionary(uniqueKeysWithValues: try db.queueRows("SELECT pair_id, stratum, state FROM second_review").map {
            ($0.int64("pair_id"), (stratum: $0.text("stratum"), done: $0.text("state") == "done"))
        })
        var overall = Agreement()
        var byBand: [String: AgreementGroup] = [:], byReviewer: [String: AgreementGroup] = [:]
        var disputes: [Dispute] = []
        let names = """
            SELECT l.unique_id AS left_id, r.unique_id AS right_id FROM pair p JOIN record l ON l.id = p.left_record_id
            JOIN record r ON r.id = p.right_record_id WHERE p.id = ?
            """
        for (pairID, entry) in latest.sorted(by: { $0.key < $1.key }) {
            guard let first = entry.review, let second = entry.second else { continue }
            let final = FinalVerdict.resolve(review: first.verdict, secondReview: second.verdict, adjudication: entry.adjudication)
            func add(_ groups: inout [String: AgreementGroup], _ name: String) {
                var group = groups[name] ?? AgreementGroup(name: name, agreement: Agreement(), overturned: 0, settled: 0)
                group.agreement.add(first: first.verdict, second: second.verdict)
                if let final {
                    group.settled += 1
                    if final != first.verdict { group.overturned += 1 }
                }
                groups[name] = group
            }
            overall.add(first: first.verdict, second: second.verdict)
            let stratum = strata[pairID]?.stratum ?? "?"
            add(&byBand, stratum.contains("–") ? stratum : "sampled by reviewer")
            add(&byReviewer, first.reviewer)
            if first.verdict != second.verdict {
                let found = try db.queueRow(names, [.integer(pairID)])
                let ids = (found?.text("left_id") ?? "", found?.text("right_id") ?? "")
                disputes.append(Dispute(pairID: pairID, left: ids.0, right: ids.1, first: first, second: second,
                                        adjudicated: entry.adjudication))
            }
        }
        return QualityReport(
            overall: overall,
            byBand: byBand.values.sorted { $0.name < $1.name },
            byReviewer: byReviewer.values.sorted { $0.name < $1.name },
            disputes: disputes,
            sampled: strata.count,
            awaitingSecondReview: strata.values.filter { !$0.done }.count,
            reveals: try RevealSummary.all(db))
    }
}
