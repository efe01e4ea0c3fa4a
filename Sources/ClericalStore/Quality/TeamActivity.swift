import ClericalCore
import Foundation
import GRDB

/// How one reviewer is doing, as a supervisor sees it.
public struct ReviewerActivity: Sendable, Equatable, Codable {
    public var reviewer: String
    public var verdicts = 0
    public var verdictsLastHour = 0
    public var verdictsToday = 0
    /// Median time between consecutive verdicts (gaps over 15 minutes are breaks, not work).
    public var medianSecondsPerVerdict: Double?
    public var unsureShare: Double?
    /// Of this reviewer's verdicts that had a blind second review, the share it agreed with.
    public var secondReviewAgreement: Double?
    public var secondReviewed = 0
    /// Masked review: reveals logged, and the pairs they were on.
    public var reveals = 0
    public var pairsRevealed = 0

    public init(reviewer: String, verdicts: Int = 0) {
        self.reviewer = reviewer
        self.verdicts = verdicts
    }
}

/// A claim on a pair, live or expired.
public struct ClaimInfo: Sendable, Equatable, Codable {
    public var pairID: Int64
    public var reviewer: String
    /// review, second-review or adjudication.
    public var kind: String
    /// Negative once the lease has run out.
    public var secondsLeft: Double

    public init(pairID: Int64, reviewer: String, kind: String, secondsLeft: Double) {
        self.pairID = pairID
        self.reviewer = reviewer
        self.kind = kind
        self.secondsLeft = secondsLeft
    }
}

/// What the last re-estimation changed.
public struct ReestimationSummary: Sendable, Equatable, Codable {
    public var modelVersion: Int64
    public var createdAt: String
    public var lambdaBefore: Double
    public var lambdaAfter: Double
    public var largestWeightChange: Double
    public var labels: Int
    public var movedIntoReview: Int
}

/// The figures of the supervisor dashboard and of `status --json` ("team").
public struct TeamFigures: Sendable, Equatable, Codable {
    public var reviewers: [ReviewerActivity] = []
    public var claims: [ClaimInfo] = []
    public var verdictsLastHour = 0
    /// At the last hour's pace; nil when nobody has given a verdict in the last hour.
    public var hoursToFinish: Double?
    public var estimatedFinish: String?
    public var lastReestimation: ReestimationSummary?

    public init() {}
}

/// Follows the decision log incrementally: each update reads only the decisions written
/// since the last one (by id), plus the few live claims, so a dashboard can refresh every
/// second on a queue of millions of pairs.
public final class TeamActivity {
    private struct Reviewer {
        var times: [Double] = []  // verdict times (seconds since 1970), the most recent 1,000
        var verdicts = 0
        var unsure = 0
        var secondReviewed = 0
        var secondAgreed = 0
        var reveals = 0
        var pairsRevealed: Set<Int64> = []
    }

    private var seen: Int64 = 0
    private var seenReveal: Int64 = 0
    private var reviewers: [String: Reviewer] = [:]

    public init() {}

    func update(_ database: DatabaseQueue, now: Date = Date()) throws(ClericalError) -> TeamFigures {
        do {
            return try database.read { db in try update(db, now: now) }
        } catch {
            throw ClericalError(.ioError, "cannot read the queue: \(QueueFile.describe(error))")
        }
    }

    package func update(_ db: some QueueReading, now: Date) throws -> TeamFigures {
        let firstVerdict = """
            SELECT reviewer, verdict FROM decision WHERE pair_id = ? AND kind = 'review' AND id < ? ORDER BY id DESC LIMIT 1
            """
        for row in try db.queueRows("""
            SELECT id, pair_id, reviewer, kind, verdict, decided_at FROM decision WHERE id > ? ORDER BY id
            """, [.integer(seen)]) {
            seen = row.int64("id")
            guard let verdict = row.optionalText("verdict").flatMap(Verdict.init) else { continue }
            let name = row.text("reviewer")
            var entry = reviewers[name] ?? Reviewer()
            entry.verdicts += 1
            if verdict == .unsure { entry.unsure += 1 }
            if let time = Self.seconds(row.text("decided_at")) {
                entry.times.append(time)
                if entry.times.count > 1_000 { entry.times.removeFirst(entry.times.count - 1_000) }
            }
            reviewers[name] = entry
            if row.text("kind") == DecisionKind.secondReview.rawValue,
               let first = try db.queueRow(firstVerdict, [.integer(row.int64("pair_id")), .integer(seen)]),
               let firstReviewer = first.optionalText("reviewer") {
                reviewers[firstReviewer, default: Reviewer()].secondReviewed += 1
                if first.optionalText("verdict") == verdict.rawValue { reviewers[firstReviewer, default: Reviewer()].secondAgreed += 1 }
            }
        }

        for row in try db.queueRows("SELECT id, reviewer, pair_id FROM reveal WHERE id > ? ORDER BY id", [.integer(seenReveal)]) {
            seenReveal = row.int64("id")
            reviewers[row.text("reviewer"), default: Reviewer()].reveals += 1
            reviewers[row.text("reviewer"), default: Reviewer()].pairsRevealed.insert(row.int64("pair_id"))
        }

        let nowSeconds = now.timeIntervalSince1970
        let startOfDay = Calendar.current.startOfDay(for: now).timeIntervalSince1970
        var figures = TeamFigures()
        for (name, entry) in reviewers.sorted(by: { $0.key < $1.key }) {
            var activity = ReviewerActivity(reviewer: name, verdicts: entry.verdicts)
            activity.verdictsLastHour = entry.times.filter { $0 > nowSeconds - 3600 }.count
            activity.verdictsToday = entry.times.filter { $0 >= startOfDay }.count
            let gaps = zip(entry.times.dropFirst(), entry.times).map { $0 - $1 }.filter { $0 >= 0 && $0 <= 900 }.sorted()
            if !gaps.isEmpty {
                activity.medianSecondsPerVerdict = gaps.count % 2 == 1 ? gaps[gaps.count / 2] : (gaps[gaps.count / 2 - 1] + gaps[gaps.count / 2]) / 2
            }
            activity.unsureShare = entry.verdicts > 0 ? Double(entry.unsure) / Double(entry.verdicts) : nil
            activity.secondReviewed = entry.secondReviewed
            activity.secondReviewAgreement = entry.secondReviewed > 0 ? Double(entry.secondAgreed) / Double(entry.secondReviewed) : nil
            activity.reveals = entry.reveals
            activity.pairsRevealed = entry.pairsRevealed.count
            figures.reviewers.append(activity)
            figures.verdictsLastHour += activity.verdictsLastHour
        }

        // Live claims are few: one row each.
        for claim in try Claims.all(db) {
            figures.claims.append(ClaimInfo(pairID: claim.pair, reviewer: claim.holder, kind: claim.kind,
                                            secondsLeft: claim.leaseExpiresAt - nowSeconds))
        }

        let pending = try db.queueRow("SELECT count FROM band_count WHERE in_band = 1")?.int("count") ?? 0
        if figures.verdictsLastHour > 0 {
            let hours = Double(pending) / Double(figures.verdictsLastHour)
            figures.hoursToFinish = hours
            figures.estimatedFinish = Timestamp.string(now.addingTimeInterval(hours * 3600))
        }
        if let row = try db.queueRow("""
            SELECT id, created_at, report FROM model_version WHERE origin = 'reestimated' ORDER BY id DESC LIMIT 1
            """), let text = row.optionalText("report"),
            let report = try? JSONDecoder().decode(ReestimationReport.self, from: Data(text.utf8)) {
            figures.lastReestimation = ReestimationSummary(
                modelVersion: row.int64("id"), createdAt: row.text("created_at"), lambdaBefore: report.lambdaBefore,
                lambdaAfter: report.lambdaAfter, largestWeightChange: report.largestWeightChange,
                labels: report.labels.matches + report.labels.nonMatches, movedIntoReview: report.band.movedIntoReview)
        }
        return figures
    }

    /// Seconds since 1970 of a `decided_at` timestamp ("2026-11-25T15:29:34.123Z").
    static func seconds(_ text: String) -> Double? {
        let parts = text.split(whereSeparator: { "-T:.Z".contains($0) }).compactMap { Int($0) }
        guard parts.count >= 6 else { return nil }
        var time = tm()
        time.tm_year = Int32(parts[0] - 1900)
        time.tm_mon = Int32(parts[1] - 1)
        time.tm_mday = Int32(parts[2])
        time.tm_hour = Int32(parts[3])
        time.tm_min = Int32(parts[4])
        time.tm_sec = Int32(parts[5])
        return Double(timegm(&time)) + (parts.count > 6 ? Double(parts[6]) / 1000 : 0)
    }
}

/// What a supervisor does to claims.
public enum ClaimAdministration {
    /// Ends a claim now: the pair goes back where it came from (the queue, the second-review
    /// list, the disputes).
    public static func expire(queue path: String, pairID: Int64, by account: String) throws(ClericalError) {
        try change(path, account) { db in
            try Claims.release(db, .init(pair: pairID, holder: nil))
        }
    }

    /// Hands a claim to another registered reviewer (or, on an open queue, any account).
    public static func reassign(queue path: String, pairID: Int64, to reviewer: String, by account: String) throws(ClericalError) {
        guard Reviewers.isValidName(reviewer) else { throw ClericalError(.usage, "\"\(reviewer)\" is not an account name") }
        try change(path, account) { db in
            let rule = try Reviewers.rule(db)
            if !rule.reviewers.isEmpty && rule.reviewers[reviewer] == nil {
                throw ClericalError(.usage, "\(reviewer) is not a registered reviewer of this queue")
            }
            try Claims.reassign(db, pair: pairID, to: reviewer)
        }
    }

    private static func change(_ path: String, _ account: String, _ body: (Database) throws -> Void) throws(ClericalError) {
        try QueueFile.using(path, writing: true) { db in
            try Reviewers.require(.manageClaims, account: account, db)
            try body(db)
        }
    }
}
