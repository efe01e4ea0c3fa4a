import Foundation

/// The share of a pattern's pairs that deciding it by its probability gets wrong beyond the
/// best decision for it, expected under a Beta belief about its true match rate θ: deciding
/// "match" at p ≥ 0.5 loses 1 − 2θ a pair where θ < 0.5 (and "non-match" 2θ − 1 where θ > 0.5).
/// The belief has mean p and weight w (a + b = w, in pairs): E[(1 − 2θ)⁺] = I½(a, b) − 2·p·I½(a + 1, b),
/// with I the regularised incomplete beta function.
public enum ExpectedExcess {
    public static func share(probability: Double, weight: Double) -> Double {
        let p = min(max(probability, 1e-12), 1 - 1e-12)
        // By symmetry, deciding "non-match" at p is deciding "match" at 1 − p.
        let q = p >= 0.5 ? p : 1 - p
        let a = q * weight, b = (1 - q) * weight
        return max(0, regularizedIncompleteBeta(0.5, a, b) - 2 * q * regularizedIncompleteBeta(0.5, a + 1, b))
    }

    /// The distance from 0.5 of a single unreviewed pair (weight 1) whose expected excess equals
    /// `gain`, so that a pattern's gain can take its place in the review order (|p − 0.5| for a
    /// single pair; infinity for a gain below any single pair's). A gain above that of a pair at
    /// 0.5 comes sooner still: 0.05 (the order's spread) for each doubling.
    public static func singlePairDistance(equivalentTo gain: Double) -> Double {
        let atHalf = singlePair[0]
        if gain >= atHalf { return -ReviewPriority.spread * log2(gain / atHalf) }
        // singlePair is decreasing in the distance; find where it crosses the gain.
        var low = 0, high = singlePair.count - 1
        if gain <= singlePair[high] { return .infinity }  // nothing to gain: no sooner than any pair
        while high - low > 1 {
            let middle = (low + high) / 2
            if singlePair[middle] > gain { low = middle } else { high = middle }
        }
        let step = 0.5 / Double(singlePair.count - 1)
        let fraction = (singlePair[low] - gain) / (singlePair[low] - singlePair[high])
        return (Double(low) + fraction) * step
    }

    /// A single pair's expected excess at distances 0, 0.001, … 0.5 from 0.5.
    private static let singlePair: [Double] = (0...500).map { share(probability: min(0.5 + Double($0) / 1000, 1 - 1e-9), weight: 1) }

    /// I_x(a, b) by the continued fraction (Lentz), on the side where it converges fast.
    static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logPowers - logBeta
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * continuedFraction(x, a, b) / a }
        return 1 - exp(logFront) * continuedFraction(1 - x, b, a) / b
    }

    private static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...300 {
            let m = Double(m)
            let even: Double = m * (b - m) * x
            var numerator: Double = even / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; result *= d * c
            let odd: Double = -(a + m) * (a + b + m) * x
            numerator = odd / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < 1e-12 { break }
        }
        return result
    }
}
