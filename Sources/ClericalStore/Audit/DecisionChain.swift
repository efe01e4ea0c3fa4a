import ClericalCore
import Crypto
import Foundation

/// The content of one decision row, and its SHA-256 link to the row before it.
///
/// Each field is written length-prefixed, so no two different rows serialise alike.
struct DecisionContent {
    var pairID: Int64
    var reviewer: String
    var kind: DecisionKind
    var verdict: Verdict?
    var note: String?
    var decidedAt: String
    var shownMatchWeight: Double?
    var shownMatchProbability: Double?

    func hash(previous: String?) -> String {
        var text = ""
        func field(_ value: String?) {
            guard let value else { text += "-;"; return }
            text += "\(value.utf8.count):\(value);"
        }
        field(previous)
        field(String(pairID))
        field(reviewer)
        field(kind.rawValue)
        field(verdict?.rawValue)
        field(note)
        field(decidedAt)
        field(shownMatchWeight.map { "\($0)" })
        field(shownMatchProbability.map { "\($0)" })
        return hex(SHA256.hash(data: Data(text.utf8)))
    }

    /// Lower-case hex, by hand: `String(format:)` per byte costs more than the hash.
    private func hex(_ digest: SHA256.Digest) -> String {
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
