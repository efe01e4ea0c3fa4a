import ClericalCore
import ClericalStore
import Foundation

/// Performs the review screen's commands against the queue and turns each result into an
/// event. Every write has committed (durably) by the time its event is returned.
public final class ReviewSession: ScreenSession {
    /// The queue, a file or a server.
    public let queue: any ReviewWork
    private let reestimation = BackgroundReestimation()
    private let openedAt = Date()
    /// When each verdict of this session standing now was given (an undo takes one back).
    private var verdictTimes: [Date] = []

    public init(queue: any ReviewWork) {
        self.queue = queue
    }

    /// What this session did, for the line printed on quit.
    public func summary() -> ReviewSummary {
        let gaps = zip([openedAt] + verdictTimes, verdictTimes).map { $1.timeIntervalSince($0) }.sorted()
        let median = gaps.isEmpty ? nil : (gaps[(gaps.count - 1) / 2] + gaps[gaps.count / 2]) / 2
        return ReviewSummary(verdicts: verdictTimes.count, medianSecondsPerVerdict: median,
                             pairsLeft: (try? queue.counts()).map { $0.awaitingReview + $0.claimed })
    }

    /// The claim on the pair in hand is renewed four times per lease.
    public var tickSeconds: Double { queue.leaseSeconds / 4 }

    /// Performs `command` against the queue and returns its event (nil for quit).
    ///
    /// `whileCommitting` gets the event a verdict will produce, on another thread, while its
    /// commit waits for the disk: the screen draws the next frame there. Only the returned
    /// event counts; it is that event only once the verdict is on disk.
    public func perform(_ command: ReviewCommand, whileCommitting: (@Sendable (ReviewEvent) -> Void)? = nil) -> ReviewEvent? {
        switch command {
        case let .decide(pairID, verdict, note, shown, skipped):
            return attempt { () throws(ClericalError) in
                let ahead = whileCommitting.map { work in
                    { @Sendable (outcome: (OwnVerdict, ReviewPair?, QueueCounts)) in work(.decided(outcome.0, next: outcome.1, outcome.2)) }
                }
                let (saved, next, counts) = try queue.decideAndClaimNext(pairID, verdict, note: note, shown: shown, excluding: skipped,
                                                                         whileCommitting: ahead)
                verdictTimes.append(Date())
                if queue.reestimationIsDue { reestimation.start(queue: queue.path) }
                return .decided(saved, next: next, counts)
            }
        case let .correct(pairID, verdict, note):
            return attempt { () throws(ClericalError) in
                let saved = try queue.decide(pairID, verdict, note: note, shown: nil)
                if queue.reestimationIsDue { reestimation.start(queue: queue.path) }
                return .corrected(saved, try queue.pair(pairID), try queue.recentVerdicts())
            }
        case let .skip(pairID, skipped):
            return attempt { () throws(ClericalError) in
                try queue.release(pairID)
                return .claimed(try queue.claimNext(excluding: skipped), try queue.counts(), try queue.recentVerdicts())
            }
        case let .jump(from, to):
            return attempt { () throws(ClericalError) in
                .claimed(try queue.jump(from: from, to: to), try queue.counts(), try queue.recentVerdicts())
            }
        case let .claimNext(skipped):
            return attempt { () throws(ClericalError) in
                .claimed(try queue.claimNext(excluding: skipped), try queue.counts(), try queue.recentVerdicts())
            }
        case let .undo(releasing):
            return attempt { () throws(ClericalError) in
                let back = try queue.undoLast()
                if back != nil, !verdictTimes.isEmpty { verdictTimes.removeLast() }
                if let releasing, releasing != back?.id { try queue.release(releasing) }
                return .undone(back, try queue.counts(), try queue.recentVerdicts())
            }
        case let .load(pairID):
            return attempt { () throws(ClericalError) in .loaded(try queue.pair(pairID)) }
        case let .claimGroup(skipped):
            return attempt { () throws(ClericalError) in .groupClaimed(try queue.claimNextGroup(excluding: skipped), try queue.counts()) }
        case let .decideGroup(pairs, match, others, skipped):
            return attempt { () throws(ClericalError) in
                let (decided, next, counts) = try queue.decideGroup(pairs, match: match, othersAreNonMatches: others, excluding: skipped)
                verdictTimes += decided.map { _ in Date() }
                if queue.reestimationIsDue { reestimation.start(queue: queue.path) }
                return .groupDecided(decided, next: next, counts)
            }
        case let .undoGroup(decided, releasing):
            return attempt { () throws(ClericalError) in
                let group = try queue.undoGroup(decided.pairs, record: decided.record, releasing: releasing)
                verdictTimes.removeLast(min(verdictTimes.count, decided.pairs.count))
                return .groupUndone(group, try queue.counts())
            }
        case let .skipGroup(pairs, skipped):
            return attempt { () throws(ClericalError) in
                try queue.releaseGroup(pairs)
                return .groupClaimed(try queue.claimNextGroup(excluding: skipped), try queue.counts())
            }
        case let .renewGroup(pairs):
            try? queue.renewGroup(pairs)
            return nil
        case let .releaseGroup(pairs):
            try? queue.releaseGroup(pairs)
            return nil
        case let .reveal(pairID, field, fieldName):
            return attempt { () throws(ClericalError) in
                try queue.reveal(pairID, field: fieldName)
                return .revealed(pairID: pairID, field: field)
            }
        case let .renew(pairID):
            try? queue.renewLease(pairID)
            return nil
        case let .quit(releasing):
            if let releasing { try? queue.release(releasing) }
            reestimation.wait()
            return nil
        }
    }

    private func attempt(_ body: () throws(ClericalError) -> ReviewEvent) -> ReviewEvent {
        do { return try body() } catch { return .failed(error.description) }
    }
}

/// What one review session did: verdicts given (and standing), the median time between them,
/// and the pairs still waiting for review (nil when the queue could not be read).
public struct ReviewSummary: Equatable, Sendable {
    public var verdicts: Int
    public var medianSecondsPerVerdict: Double?
    public var pairsLeft: Int?
}
