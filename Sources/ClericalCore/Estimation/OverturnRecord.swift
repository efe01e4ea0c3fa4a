/// How a refitted model's overturns have fared where nobody had looked before.
///
/// A refit can decide a pattern the other way from what the imported model decided alone
/// (outside the review band) though no verdict has reached it. Held-out verdicts cannot say
/// whether such an overturn is right: they come from the band (an EM that finds the wrong split
/// overturns thousands of pairs the imported model had right; on the household sets the refit's
/// unverified overturns are what fixes household members). Overturned patterns are queued, so
/// verdicts reach them; each verdict on a pattern that had none when the model overturning it
/// was kept is a fresh test of that model's overturns. Until those tests show overturns right
/// more often than not (the Wilson 95% interval above one half), a re-estimation with `auto`
/// keeps the imported model's decision on every such pattern still without a verdict; after,
/// on those the model before overturned too.
///
///     var record = OverturnRecord()
///     record.add(agreesWithOverturn: true)   // four times
///     record.trusted                         // true: the lower Wilson limit of 4 of 4 is 0.51
public struct OverturnRecord: Sendable, Codable, Equatable {
    /// Fresh verdicts that sided with the overturn, and with the imported model.
    public var agreeing = 0
    public var disagreeing = 0

    public init(agreeing: Int = 0, disagreeing: Int = 0) {
        self.agreeing = agreeing
        self.disagreeing = disagreeing
    }

    public mutating func add(agreesWithOverturn: Bool) {
        if agreesWithOverturn { agreeing += 1 } else { disagreeing += 1 }
    }

    public static func + (a: OverturnRecord, b: OverturnRecord) -> OverturnRecord {
        OverturnRecord(agreeing: a.agreeing + b.agreeing, disagreeing: a.disagreeing + b.disagreeing)
    }

    /// Whether unverified overturns may stand: overturns shown right more often than wrong.
    public var trusted: Bool {
        (LinkageQuality.wilson(agreeing, agreeing + disagreeing)?.low ?? 0) > 0.5
    }
}
