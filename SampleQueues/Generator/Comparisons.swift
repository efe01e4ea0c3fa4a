import ClericalCore
import Foundation

/// One comparison as the generator computes it, and as Splink's model JSON describes it.
struct SampleComparison: Sendable {
    var name: String
    var description: String
    /// Labels and SQL of the non-null levels, highest gamma first (the last is ELSE).
    var levels: [(label: String, sql: String)]
    var value: @Sendable (PersonRecord) -> String?
    /// The gamma of two non-null values: levels.count - 1 down to 0.
    var gamma: @Sendable (String, String) -> Int

    func gamma(_ left: PersonRecord, _ right: PersonRecord) -> Int {
        guard let l = value(left), let r = value(right) else { return -1 }
        return gamma(l.precomposedStringWithCanonicalMapping, r.precomposedStringWithCanonicalMapping)
    }
}

enum SampleComparisons {
    static func jaroWinkler(_ name: String, _ value: @escaping @Sendable (PersonRecord) -> String?) -> SampleComparison {
        SampleComparison(
            name: name, description: "JaroWinklerAtThresholds",
            levels: [("Exact match on \(name)", "\"\(name)_l\" = \"\(name)_r\""),
                     ("Jaro-Winkler distance of \(name) >= 0.9", "jaro_winkler_similarity(\"\(name)_l\", \"\(name)_r\") >= 0.9"),
                     ("Jaro-Winkler distance of \(name) >= 0.7", "jaro_winkler_similarity(\"\(name)_l\", \"\(name)_r\") >= 0.7"),
                     ("All other comparisons", "ELSE")],
            value: value,
            gamma: { l, r in
                if l == r { return 3 }
                let similarity = StringDistance.jaroWinkler(l, r)
                return similarity >= 0.9 ? 2 : (similarity >= 0.7 ? 1 : 0)
            })
    }

    static func levenshtein(_ name: String, _ value: @escaping @Sendable (PersonRecord) -> String?) -> SampleComparison {
        SampleComparison(
            name: name, description: "LevenshteinAtThresholds",
            levels: [("Exact match on \(name)", "\"\(name)_l\" = \"\(name)_r\""),
                     ("Levenshtein distance of \(name) <= 1", "levenshtein(\"\(name)_l\", \"\(name)_r\") <= 1"),
                     ("Levenshtein distance of \(name) <= 2", "levenshtein(\"\(name)_l\", \"\(name)_r\") <= 2"),
                     ("All other comparisons", "ELSE")],
            value: value,
            gamma: { l, r in
                if l == r { return 3 }
                let distance = StringDistance.levenshtein(l, r)
                return distance <= 1 ? 2 : (distance <= 2 ? 1 : 0)
            })
    }

    static func exact(_ name: String, _ value: @escaping @Sendable (PersonRecord) -> String?) -> SampleComparison {
        SampleComparison(
            name: name, description: "ExactMatch",
            levels: [("Exact match on \(name)", "\"\(name)_l\" = \"\(name)_r\""), ("All other comparisons", "ELSE")],
            value: value, gamma: { l, r in l == r ? 1 : 0 })
    }

    /// Postcodes: exact, then the same district (outward code), then anything else.
    static let postcode = SampleComparison(
        name: "postcode", description: "PostcodeComparison",
        levels: [("Exact match on postcode", "\"postcode_l\" = \"postcode_r\""),
                 ("Same postcode district", "split_part(\"postcode_l\", ' ', 1) = split_part(\"postcode_r\", ' ', 1)"),
                 ("All other comparisons", "ELSE")],
        value: { $0.postcode },
        gamma: { l, r in
            if l == r { return 2 }
            return l.split(separator: " ").first == r.split(separator: " ").first ? 1 : 0
        })

    /// Eight comparisons, as a justice linkage of people might configure Splink.
    static let all: [SampleComparison] = [
        jaroWinkler("given_name") { $0.givenName },
        jaroWinkler("family_name") { $0.familyName },
        levenshtein("date_of_birth") { $0.dateOfBirth },
        exact("sex") { $0.sex },
        postcode,
        jaroWinkler("town") { $0.town },
        jaroWinkler("address_line") { $0.addressLine },
        levenshtein("ni_number") { $0.niNumber },
    ]
}
