@testable import ClericalCore
import XCTest

final class MaskedTextTests: XCTestCase {
    func testDifferingCharactersShowAndAgreeingRunsKeepTheirWidth() {
        let masked = MaskedText.mask("Siobhán", "Siobhan")
        XCTAssertEqual(masked.left?.text, "•••••á•")
        XCTAssertEqual(masked.right?.text, "•••••a•")
        XCTAssertEqual(masked.left?.shown, [false, false, false, false, false, true, false])
        for value in ["Siobhán", "Siobhan"] { XCTAssertEqual(DisplayText.width(MaskedText.mask(value, "x").left!.text), DisplayText.width(value)) }
    }

    /// Wide and combining characters: the mask takes as many cells as the text it hides.
    func testWidthsHoldForCJKVietnameseArabicAndCombiningMarks() {
        for (left, right) in [("王秀英", "王秀兰"), ("Nguyễn Thị Minh", "Nguyen Thi Minh"), ("محمد عبد الله", "محمد عبدالله"),
                              ("Zoe\u{308}", "Zoë"), ("José", "Jose\u{301}")] {
            let masked = MaskedText.mask(left, right)
            XCTAssertEqual(DisplayText.width(masked.left!.text), DisplayText.width(left), left)
            XCTAssertEqual(DisplayText.width(masked.right!.text), DisplayText.width(right), right)
            XCTAssertEqual(masked.left!.shown.count, masked.left!.text.count)
        }
        XCTAssertEqual(MaskedText.mask("王秀英", "王秀兰").left?.text, "••••英", "two glyphs for each wide character hidden")
    }

    func testEqualValuesShowNothingAndMissingStaysMissing() {
        XCTAssertEqual(MaskedText.mask("BT1 4AB", "BT1 4AB").left?.text, "•••••••")
        let missing = MaskedText.mask(nil, "JK123456C")
        XCTAssertNil(missing.left)
        XCTAssertEqual(missing.right?.text, "•••••••••", "nothing to compare it with: masked whole")
    }

    func testDatesShowWhichPartsAgreeAndNameASwap() {
        let swapped = MaskedText.mask("1984-03-12", "1984-12-03")
        XCTAssertEqual(swapped.left?.text, "••••-03-12")
        XCTAssertEqual(swapped.right?.text, "••••-12-03")
        XCTAssertEqual(swapped.note, "day/month swapped")
        let year = MaskedText.mask("12/03/1984", "12/03/1985")
        XCTAssertEqual(year.left?.text, "••/••/1984")
        XCTAssertNil(year.note)
        XCTAssertEqual(MaskedText.mask("1984-03-03", "1984-03-03").note, nil)
    }
}
