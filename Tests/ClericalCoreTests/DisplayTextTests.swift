@testable import ClericalCore
import XCTest

final class DisplayTextTests: XCTestCase {
    func testWidths() {
        XCTAssertEqual(DisplayText.width("Siobhán Ó Briain"), 16)
        XCTAssertEqual(DisplayText.width("王秀英"), 6)
        XCTAssertEqual(DisplayText.width("Zoe\u{308}"), 3, "a combining mark takes no cell")
        XCTAssertEqual(DisplayText.width("Nguyễn Văn An"), 13)
        XCTAssertEqual(DisplayText.width("محمد"), 4)
        XCTAssertEqual(DisplayText.width("한국"), 4)
        XCTAssertEqual(DisplayText.truncated("王秀英王秀英", toWidth: 7), "王秀英…")
        XCTAssertEqual(DisplayText.truncated("short", toWidth: 7), "short")
    }

    func testControlCharactersBecomeVisiblePlaceholders() {
        XCTAssertEqual(DisplayText.sanitized("a\u{1B}[31mb"), "a␛[31mb")
        XCTAssertEqual(DisplayText.sanitized("\u{1B}]0;title\u{07}"), "␛]0;title␇")
        XCTAssertEqual(DisplayText.sanitized("x\u{0}y\ttab\nline\u{7F}"), "x␀y␉tab␊line␡")
        XCTAssertEqual(DisplayText.sanitized("c1\u{9B}31m"), "c1\u{FFFD}31m")
        XCTAssertEqual(DisplayText.sanitized("bidi\u{202E}evil"), "bidi\u{FFFD}evil")
        XCTAssertEqual(DisplayText.sanitized("Zoe\u{308}"), "Zoë", "NFC")
    }

    /// The fast path (`isSimple`) must draw exactly what the slow path would: every simple
    /// scalar is printable, one cell, unchanged by NFC and by sanitising, and a grapheme of
    /// its own next to any other simple scalar.
    func testSimpleScalarsNeedNoneOfTheSlowPath() {
        let simple = (0...0x10FFFF).compactMap(Unicode.Scalar.init).filter(DisplayText.isSimple)
        XCTAssertGreaterThan(simple.count, 1_000)
        for scalar in simple {
            let text = String(scalar)
            XCTAssertEqual(Array(text._nfcCodeUnits), Array(text.utf8), "NFC changes U+\(String(scalar.value, radix: 16))")
            XCTAssertFalse(DisplayText.isWide(scalar.value), "U+\(String(scalar.value, radix: 16)) is wide")
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .spacingMark, .control, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned:
                XCTFail("U+\(String(scalar.value, radix: 16)) is \(scalar.properties.generalCategory)")
            case .format:
                XCTAssertEqual(scalar.value, 0xAD, "only the soft hyphen, drawn in one cell as terminals do")
            default:
                break
            }
            XCTAssertFalse(scalar.properties.isGraphemeExtend || scalar.properties.isJoinControl || scalar.properties.isVariationSelector
                           || scalar.properties.isBidiControl || (0x1F1E6...0x1F1FF).contains(scalar.value))
        }
        // Each one a grapheme, whichever simple scalar stands next to it.
        let run = String(String.UnicodeScalarView(simple))
        XCTAssertEqual(run.count, simple.count)
        XCTAssertEqual(String(String.UnicodeScalarView(simple.reversed())).count, simple.count)
        // The slow path (general category, wide ranges) agrees scalar by scalar.
        for scalar in simple {
            XCTAssertEqual(DisplayText.width(of: scalar), scalar.value == 0xAD ? 0 : 1)
        }
        XCTAssertEqual(DisplayText.width("≥ 0.9 · ≠ ∅ ← → “q” … ─█░│"), 26)
        XCTAssertEqual(DisplayText.sanitized("≥ 0.9 · ≠"), "≥ 0.9 · ≠")
    }

    func testDifferenceMarks() {
        let (left, right) = TextDifference.marks("Siobhán", "Siobhan")
        XCTAssertEqual(left, [false, false, false, false, false, true, false])
        XCTAssertEqual(right, [false, false, false, false, false, true, false])
        let swapped = TextDifference.marks("1984-03-12", "1984-12-03")
        XCTAssertEqual(swapped.left.filter { $0 }.count, swapped.right.filter { $0 }.count)
        XCTAssertTrue(swapped.left.prefix(5).allSatisfy { !$0 }, "the shared year is not marked")
        XCTAssertEqual(TextDifference.marks("same", "same").left, [false, false, false, false])
    }

    func testLevelKinds() {
        let comparison = Comparison(name: "dob", levels: [
            ComparisonLevel(gamma: -1, label: "dob is NULL", isNull: true),
            ComparisonLevel(gamma: 2, label: "Exact match on dob", isNull: false),
            ComparisonLevel(gamma: 1, label: "Levenshtein <= 1", isNull: false, sqlCondition: "levenshtein(\"dob_l\", \"dob_r\") <= 1"),
            ComparisonLevel(gamma: 0, label: "All other comparisons", isNull: false),
        ])
        XCTAssertEqual([-1, 2, 1, 0].map(comparison.kind), [.missing, .agree, .close, .different])
        XCTAssertTrue(comparison.uses(field: "dob"))
        XCTAssertFalse(comparison.uses(field: "postcode"))
    }
}
