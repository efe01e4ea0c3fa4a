/// What surrounds a pair in the queue, shown beside it: each record's other candidate pairs,
/// the links either record already has, and how pairs with the same comparison vector were
/// judged.
public struct PairContext: Sendable, Equatable {
    /// Another candidate pair of one of the two records.
    public struct Candidate: Sendable, Equatable {
        public var pairID: Int64
        /// The record on the other side of that pair.
        public var other: ReviewRecord
        public var probability: Double
        public var state: State

        public init(pairID: Int64, other: ReviewRecord, probability: Double, state: State) {
            self.pairID = pairID
            self.other = other
            self.probability = probability
            self.state = state
        }

        /// Only a pending pair can be jumped to (claimed in place of the one in hand).
        public var isPending: Bool { state == .pending }
    }

    public enum State: Sendable, Equatable {
        /// Waiting for review.
        case pending
        case claimed(by: String)
        /// The standing verdict, and who gave it.
        case decided(by: String, Verdict)
        /// First and second review disagree; waiting for a quality lead.
        case disputed
        /// Outside the review band: the model's decision stands.
        case decidedByModel(match: Bool)
    }

    /// A record of the pair that already has an accepted match elsewhere: under one-to-one
    /// linkage the strongest hint there is.
    public struct Link: Sendable, Equatable {
        /// The record on screen (its unique id) and the record it is linked to.
        public var record: String
        public var linkedTo: ReviewRecord
        public var reviewer: String

        public init(record: String, linkedTo: ReviewRecord, reviewer: String) {
            self.record = record
            self.linkedTo = linkedTo
            self.reviewer = reviewer
        }
    }

    /// Pairs that share this pair's comparison vector, and the verdicts on them.
    public struct History: Sendable, Equatable {
        public var pairs: Int
        public var matches: Int
        public var nonMatches: Int
        public var unsure: Int

        public init(pairs: Int, matches: Int, nonMatches: Int, unsure: Int) {
            self.pairs = pairs
            self.matches = matches
            self.nonMatches = nonMatches
            self.unsure = unsure
        }

        public var reviewed: Int { matches + nonMatches + unsure }
    }

    /// The left record's other candidates and the right record's, most probable first.
    public var left: [Candidate]
    public var right: [Candidate]
    public var links: [Link]
    public var history: History?

    /// Candidates kept per record: more than any window shows.
    public static let candidatesPerRecord = 9

    public init(left: [Candidate] = [], right: [Candidate] = [], links: [Link] = [], history: History? = nil) {
        self.left = left
        self.right = right
        self.links = links
        self.history = history
    }

    /// The candidates in the order the screen numbers them: the left record's, then the right's.
    public var numbered: [Candidate] { Array((left + right).prefix(9)) }
}
