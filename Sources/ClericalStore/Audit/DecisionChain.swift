import ClericalCore
import Crypto
import Foundation
import GRDB

/// The content of one decision row, and its SHA-256 link to the row before it (`HashChain`).
package struct DecisionContent {
    package var pairID: Int64
    package var reviewer: String
    package var kind: DecisionKind
    package var verdict: Verdict?
    package var note: String?
    package var decidedAt: String
    package var shownMatchWeight: Double?
    package var shownMatchProbability: Double?

    package init(pairID: Int64, reviewer: String, kind: DecisionKind, verdict: Verdict?, note: String?, decidedAt: String,
                 shownMatchWeight: Double?, shownMatchProbability: Double?) {
        self.pairID = pairID
        self.reviewer = reviewer
        self.kind = kind
        self.verdict = verdict
        self.note = note
        self.decidedAt = decidedAt
        self.shownMatchWeight = shownMatchWeight
        self.shownMatchProbability = shownMatchProbability
    }

    /// A stored row's content, as `verify` reads it back on either backend.
    package static func stored(pairID: Int64, reviewer: String?, kind: String?, verdict: String?, note: String?,
                               decidedAt: String?, shownMatchWeight: Double?,
                               shownMatchProbability: Double?) throws(ChainWalk.Unreadable) -> DecisionContent {
        guard let kindValue = kind.flatMap(DecisionKind.init(rawValue:)) else { throw ChainWalk.Unreadable("unknown kind \(kind ?? "NULL")") }
        let verdictValue = verdict.flatMap(Verdict.init(rawValue:))
        if let verdict, verdictValue == nil { throw ChainWalk.Unreadable("unknown verdict \(verdict)") }
        return DecisionContent(pairID: pairID, reviewer: reviewer ?? "", kind: kindValue, verdict: verdictValue, note: note,
                               decidedAt: decidedAt ?? "", shownMatchWeight: shownMatchWeight,
                               shownMatchProbability: shownMatchProbability)
    }

    package func hash(previous: String?) -> String {
        HashChain.link(previous: previous, chainFields)
    }

    /// The fields the hash covers, in order, as text.
    package var chainFields: [String?] {
        [String(pairID), reviewer, kind.rawValue, verdict?.rawValue, note, decidedAt,
         shownMatchWeight.map { "\($0)" }, shownMatchProbability.map { "\($0)" }]
    }
}

/// The one way a row of an append-only log is linked to the row before it: SHA-256 over the
/// previous row's hash and the row's fields, each written length-prefixed (nil as "-;"), so no
/// two different rows serialise alike. Decisions and reveals are chained with it.
package enum HashChain {
    static func link(previous: String?, _ fields: [String?]) -> String {
        hex(SHA256.hash(data: Data((serialised([previous]) + serialised(fields)).utf8)))
    }

    /// Values as the hash reads them: each "length:value;" (length in UTF-8 bytes), nil as "-;".
    /// PostgreSQL's `append_decision` hashes the previous hash so, followed by this text of the
    /// fields: the same bytes, so the same hash.
    package static func serialised(_ values: [String?]) -> String {
        var text = ""
        for value in values {
            guard let value else { text += "-;"; continue }
            text += "\(value.utf8.count):\(value);"
        }
        return text
    }

    /// Lower-case hex, by hand: `String(format:)` per byte costs more than the hash.
    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Appends review decisions to the hash chain, each linked to the one before.
struct DecisionAppender<Store: QueueWriting> {
    let db: Store
    let reviewer: String
    private var previous: String?

    /// Starts from the chain's head; on a server the caller holds the chain's lock.
    init(_ db: Store, reviewer: String) throws {
        self.db = db
        self.reviewer = reviewer
        previous = try db.queueRow("SELECT hash FROM decision ORDER BY id DESC LIMIT 1")?.optionalText("hash")
    }

    mutating func append(pairID: Int64, verdict: Verdict, note: String?) throws {
        let content = DecisionContent(pairID: pairID, reviewer: reviewer, kind: .review, verdict: verdict, note: note,
                                      decidedAt: Timestamp.now(), shownMatchWeight: nil, shownMatchProbability: nil)
        let hash = content.hash(previous: previous)
        try db.queueExecute(DecisionAppenderSQL.insert, [
            .integer(pairID), .text(reviewer), .text(DecisionKind.review.rawValue), .text(verdict.rawValue),
            note.map(TableValue.text) ?? .null, .text(content.decidedAt), .null, .null,
            previous.map(TableValue.text) ?? .null, .text(hash),
        ])
        previous = hash
    }
}

/// The one INSERT of a decision row, for the review queue too.
enum DecisionAppenderSQL {
    static let insert = """
        INSERT INTO decision (pair_id, reviewer, kind, verdict, note, decided_at, shown_match_weight,
                              shown_match_probability, previous_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
}
