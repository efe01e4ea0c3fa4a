import ClericalCore

/// One reviewer's work on a queue, as the review screen performs it (`ReviewSession`), on
/// either backend: `ReviewQueue` on a queue file, `PostgresReviewWork` on a server. Every write
/// is durable by the time its call returns. A pair comes back with its evidence and context.
public protocol ReviewWork: AnyObject {
    /// The account the verdicts are recorded as.
    var reviewer: String { get }
    /// How long a claim lasts without renewal; the screen renews it while the pair is shown.
    var leaseSeconds: Double { get }
    /// Set by each verdict when the queue re-estimates automatically and enough verdicts have
    /// come in since the last re-estimation (always false on a server, which re-estimates only
    /// when asked).
    var reestimationIsDue: Bool { get }
    /// The queue's path (or URL), for the re-estimation started when one is due.
    var path: String { get }

    func counts() throws(ClericalError) -> QueueCounts
    /// The pair with its records, evidence, context and this reviewer's latest verdict on it.
    func pair(_ id: Int64) throws(ClericalError) -> ReviewPair
    /// This reviewer's standing verdicts (withdrawn ones left out), newest first.
    func recentVerdicts(limit: Int) throws(ClericalError) -> [OwnVerdict]
    /// Claims the next pair (passing over `skipped`); nil when none is left.
    func claimNext(excluding skipped: Set<Int64>) throws(ClericalError) -> ReviewPair?
    /// Records a verdict on the pair in hand and claims the next, in one transaction.
    /// `whileCommitting`, when the backend can, gets the outcome while the commit waits for the
    /// disk; only the returned outcome counts.
    func decideAndClaimNext(_ pairID: Int64, _ verdict: Verdict, note: String?, shown: PatternScore?,
                            excluding skipped: Set<Int64>,
                            whileCommitting: (@Sendable ((OwnVerdict, ReviewPair?, QueueCounts)) -> Void)?)
        throws(ClericalError) -> (OwnVerdict, ReviewPair?, QueueCounts)
    /// Records a verdict, or a correction of this reviewer's standing verdict on a decided pair.
    @discardableResult
    func decide(_ pairID: Int64, _ verdict: Verdict, note: String?, shown: PatternScore?) throws(ClericalError) -> OwnVerdict
    /// Claims `target` (a pending pair of the review band) and hands `current` back.
    func jump(from current: Int64, to target: Int64) throws(ClericalError) -> ReviewPair
    /// Hands a claimed pair back to the queue.
    func release(_ pairID: Int64) throws(ClericalError)
    /// Keeps this reviewer's claim on a pair alive while it is on screen.
    func renewLease(_ pairID: Int64) throws(ClericalError)
    /// Withdraws this reviewer's latest standing verdict and claims the pair again.
    func undoLast() throws(ClericalError) -> ReviewPair?
    /// Logs, before the values show, that this reviewer revealed `field` (nil: the whole pair).
    func reveal(_ pairID: Int64, field: String?) throws(ClericalError)
    func close()

    // One record at a time, with all its pending candidates claimed, decided and undone
    // together (`clerical review --by-record`).
    func claimNextGroup(excluding skipped: Set<Int64>) throws(ClericalError) -> RecordGroup?
    func decideGroup(_ group: [Int64], match: Int64?, othersAreNonMatches: Bool, excluding skipped: Set<Int64>)
        throws(ClericalError) -> (decided: [OwnVerdict], next: RecordGroup?, counts: QueueCounts)
    func undoGroup(_ decided: [Int64], record: ReviewRecord, releasing: [Int64]) throws(ClericalError) -> RecordGroup
    func releaseGroup(_ group: [Int64]) throws(ClericalError)
    func renewGroup(_ group: [Int64]) throws(ClericalError)
}

extension ReviewWork {
    public func recentVerdicts() throws(ClericalError) -> [OwnVerdict] { try recentVerdicts(limit: 200) }
    public func claimNext() throws(ClericalError) -> ReviewPair? { try claimNext(excluding: []) }
}

extension ReviewQueue: ReviewWork {}
