/// Fixed-point number text without Foundation's `String(format:)`, which is slow enough
/// to show in the per-keypress drawing path.
public enum NumberText {
    /// `value` with `decimals` places: `fixed(0.9412, 3)` is "0.941"; `signed: true` adds "+".
    public static func fixed(_ value: Double, _ decimals: Int, signed: Bool = false) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let negative = value < 0 && scaled > 0
        guard scaled < 9e15 else { return "\(value)" }
        let whole = Int(scaled)
        var digits = String(whole)
        if decimals > 0 {
            if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return (negative ? "-" : (signed ? "+" : "")) + digits
    }

    /// Right-aligned in `width` characters.
    public static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
