import ClericalCore
import Foundation

/// Builds a population with duplicates and lookalikes, blocks it into candidate pairs,
/// estimates a model from the truth, and writes it all as Splink would.
struct SampleGenerator {
    var factory: PeopleFactory
    var records: [PersonRecord] = []
    let comparisons = SampleComparisons.all

    init(seed: UInt64) { factory = PeopleFactory(seed: seed) }

    mutating func makePopulation(people: Int) {
        var personID = 0
        for _ in 0..<people {
            personID += 1
            let person = factory.person(personID)
            records.append(factory.recorded(person))
            let roll = Double.random(in: 0..<1, using: &factory.random)
            let duplicates = roll < 0.45 ? 0 : (roll < 0.8 ? 1 : (roll < 0.95 ? 2 : 3))
            for _ in 0..<duplicates { records.append(factory.recorded(factory.duplicate(of: person))) }
            if factory.random.chance(0.3) {
                personID += 1
                records.append(factory.recorded(factory.lookalike(of: person, id: personID)))
            }
        }
    }

    struct Pair: Hashable {
        var left: Int
        var right: Int
        var matchKey: Int
    }

    /// Blocking keys, in Splink's order: the first rule that pairs two records is its match_key.
    func blockingKeys(_ record: PersonRecord) -> [String?] {
        [record.familyName, record.dateOfBirth, record.postcode]
    }

    func ordered(_ a: Int, _ b: Int, key: Int) -> Pair {
        records[a].uniqueID < records[b].uniqueID ? Pair(left: a, right: b, matchKey: key) : Pair(left: b, right: a, matchKey: key)
    }

    /// Every pair that shares a family name, a date of birth or a postcode.
    func blockedPairs() -> [Pair] {
        var seen = Set<[Int]>()
        var pairs: [Pair] = []
        for rule in 0..<3 {
            var blocks: [String: [Int]] = [:]
            for (i, record) in records.enumerated() {
                if let key = blockingKeys(record)[rule] { blocks[key, default: []].append(i) }
            }
            for key in blocks.keys.sorted() {
                let members = blocks[key]!
                for x in members.indices {
                    for y in members.indices where y > x {
                        let pair = ordered(members[x], members[y], key: rule)
                        if seen.insert([pair.left, pair.right]).inserted { pairs.append(pair) }
                    }
                }
            }
        }
        return pairs
    }

    /// `count` candidate pairs: every true pair, then random pairs from the same blocks.
    /// Candidates each hub record gets: more than the review screen's context panel loads.
    static let hubCandidates = 60

    /// `count` pairs: every pair of records of one person, `hubs` records paired with
    /// `hubCandidates` records of their own blocks (a common name, a large household), then
    /// random pairs within blocks.
    mutating func sampledPairs(count: Int, hubs: Int = 0) -> [Pair] {
        var seen = Set<UInt64>()
        var pairs: [Pair] = []
        pairs.reserveCapacity(count)
        func add(_ pair: Pair) -> Bool {
            guard pairs.count < count, seen.insert(UInt64(pair.left) << 32 | UInt64(pair.right)).inserted else { return false }
            pairs.append(pair)
            return true
        }
        var byPerson: [Int: [Int]] = [:]
        for (i, record) in records.enumerated() { byPerson[record.personID, default: []].append(i) }
        // By person id: a dictionary's own order changes from one process to the next, and the
        // file's row order (so pair and pattern ids, and every tie in the review order) with it.
        for person in byPerson.keys.sorted() {
            let members = byPerson[person]!
            guard members.count > 1 else { continue }
            for x in members.indices { for y in members.indices where y > x { _ = add(ordered(members[x], members[y], key: 0)) } }
        }
        var blocks: [(rule: Int, members: [Int])] = []
        for rule in 0..<3 {
            var byKey: [String: [Int]] = [:]
            for (i, record) in records.enumerated() {
                if let key = blockingKeys(record)[rule] { byKey[key, default: []].append(i) }
            }
            blocks += byKey.keys.sorted().compactMap { key in
                byKey[key]!.count > 1 ? (rule, byKey[key]!) : nil
            }
        }
        let largeBlocks = blocks.filter { $0.members.count > Self.hubCandidates }
        for _ in 0..<(largeBlocks.isEmpty ? 0 : hubs) {
            let block = largeBlocks.randomElement(using: &factory.random)!
            let hub = block.members.randomElement(using: &factory.random)!
            var added = 0, tries = 0
            while added < Self.hubCandidates, tries < 4 * Self.hubCandidates {
                tries += 1
                let other = block.members.randomElement(using: &factory.random)!
                if other != hub, add(ordered(hub, other, key: block.rule)) { added += 1 }
            }
        }
        while pairs.count < count {
            let block = blocks.randomElement(using: &factory.random)!
            let a = block.members.randomElement(using: &factory.random)!, b = block.members.randomElement(using: &factory.random)!
            if a != b { _ = add(ordered(a, b, key: block.rule)) }
        }
        return pairs
    }

    func gammas(_ pair: Pair) -> [Int] {
        comparisons.map { $0.gamma(records[pair.left], records[pair.right]) }
    }

    /// The "true" model: m from every true pair, u from random pairs, λ from the truth.
    mutating func estimateModel() -> FellegiSunterModel {
        var matchCounts = comparisons.map { [Int](repeating: 0, count: $0.levels.count) }
        var randomCounts = matchCounts
        var byPerson: [Int: [Int]] = [:]
        for (i, record) in records.enumerated() { byPerson[record.personID, default: []].append(i) }
        var truePairs = 0
        for members in byPerson.values where members.count > 1 {
            for x in members.indices {
                for y in members.indices where y > x {
                    truePairs += 1
                    for (k, gamma) in gammas(Pair(left: members[x], right: members[y], matchKey: 0)).enumerated() where gamma >= 0 {
                        matchCounts[k][comparisons[k].levels.count - 1 - gamma] += 1
                    }
                }
            }
        }
        for _ in 0..<20_000 {
            let a = Int.random(in: 0..<records.count, using: &factory.random)
            let b = Int.random(in: 0..<records.count, using: &factory.random)
            guard a != b, records[a].personID != records[b].personID else { continue }
            for (k, gamma) in gammas(Pair(left: a, right: b, matchKey: 0)).enumerated() where gamma >= 0 {
                randomCounts[k][comparisons[k].levels.count - 1 - gamma] += 1
            }
        }
        func smoothed(_ counts: [Int]) -> [Double] {
            let total = Double(counts.reduce(0, +)) + 0.5 * Double(counts.count)
            return counts.map { (Double($0) + 0.5) / total }
        }
        let n = Double(records.count)
        let lambda = max(1e-9, Double(truePairs) / (n * (n - 1) / 2))
        var structure: [Comparison] = []
        var parameters: [[LevelParameters]] = []
        for (k, comparison) in comparisons.enumerated() {
            let m = smoothed(matchCounts[k]), u = smoothed(randomCounts[k])
            var levels = [ComparisonLevel(gamma: -1, label: "\(comparison.name) is NULL", isNull: true)]
            var levelParameters = [LevelParameters.null]
            for (i, level) in comparison.levels.enumerated() {
                levels.append(ComparisonLevel(gamma: comparison.levels.count - 1 - i, label: level.label, isNull: false))
                levelParameters.append(LevelParameters(m: m[i], u: u[i]))
            }
            structure.append(Comparison(name: comparison.name, description: comparison.description, levels: levels))
            parameters.append(levelParameters)
        }
        return FellegiSunterModel(comparisons: structure, lambda: lambda, parameters: parameters)
    }

    // MARK: - Writing Splink's formats

    func writeModel(_ model: FellegiSunterModel, to path: String) throws {
        var json: [String: Any] = [
            "link_type": "dedupe_only",
            "probability_two_random_records_match": model.lambda,
            "retain_matching_columns": true,
            "retain_intermediate_calculation_columns": true,
            "additional_columns_to_retain": ["case_reference", "source_system"],
            "sql_dialect": "duckdb",
            "em_convergence": 0.0001,
            "max_iterations": 25,
            "match_weight_column_prefix": "mw_",
            "term_frequency_adjustment_column_prefix": "tf_",
            "comparison_vector_value_column_prefix": "gamma_",
            "unique_id_column_name": "unique_id",
            "source_dataset_column_name": "source_dataset",
            "blocking_rules_to_generate_predictions": ["family_name", "date_of_birth", "postcode"].map {
                ["blocking_rule": "l.\"\($0)\" = r.\"\($0)\"", "sql_dialect": "duckdb"]
            },
        ]
        json["comparisons"] = comparisons.enumerated().map { k, comparison -> [String: Any] in
            var levels: [[String: Any]] = [[
                "sql_condition": "\"\(comparison.name)_l\" IS NULL OR \"\(comparison.name)_r\" IS NULL",
                "label_for_charts": "\(comparison.name) is NULL",
                "fix_m_probability": false, "fix_u_probability": false, "is_null_level": true,
            ]]
            for (i, level) in comparison.levels.enumerated() {
                let parameters = model.parameters[k][i + 1]
                levels.append([
                    "sql_condition": level.sql, "label_for_charts": level.label,
                    "m_probability": parameters.m!, "u_probability": parameters.u!,
                    "fix_m_probability": false, "fix_u_probability": false,
                ])
            }
            return ["output_column_name": comparison.name, "comparison_levels": levels,
                    "comparison_description": comparison.description]
        }
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Writes rows with match probability ≥ `threshold`, as `predict(threshold_match_probability=)` does.
    func writePredictions(_ pairs: [Pair], model: FellegiSunterModel, threshold: Double, to folder: String) throws -> (pairs: Int, matches: Int) {
        let predictions = try BufferedWriter(path: folder + "/predictions.csv")
        let truth = try BufferedWriter(path: folder + "/truth.csv")
        var header = ["match_weight", "match_probability", "unique_id_l", "unique_id_r"]
        for comparison in comparisons {
            header += ["\(comparison.name)_l", "\(comparison.name)_r", "gamma_\(comparison.name)", "mw_\(comparison.name)"]
        }
        header += ["case_reference_l", "case_reference_r", "source_system_l", "source_system_r", "match_key"]
        predictions.writeRow(header)
        truth.writeRow(["unique_id_l", "unique_id_r", "is_match"])
        var matches = 0, written = 0
        for pair in pairs {
            let left = records[pair.left], right = records[pair.right]
            let gammas = gammas(pair)
            var fields: [String] = []
            var weight = model.priorWeight
            for (k, comparison) in comparisons.enumerated() {
                let levelWeight = model.parameters(comparison: k, gamma: gammas[k])!.weight
                weight += levelWeight
                fields += [comparison.value(left) ?? "", comparison.value(right) ?? "", String(gammas[k]), "\(levelWeight)"]
            }
            guard MatchWeight.probability(weight) >= threshold else { continue }
            written += 1
            let row = ["\(weight)", "\(MatchWeight.probability(weight))", left.uniqueID, right.uniqueID] + fields
                + [left.caseReference, right.caseReference, left.sourceSystem, right.sourceSystem, String(pair.matchKey)]
            predictions.writeRow(row)
            let isMatch = left.personID == right.personID
            if isMatch { matches += 1 }
            truth.writeRow([left.uniqueID, right.uniqueID, isMatch ? "1" : "0"])
        }
        try predictions.close()
        try truth.close()
        return (written, matches)
    }
}

/// Writes CSV rows through a large buffer; quotes a field only when it must.
final class BufferedWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission)
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    func writeRow(_ fields: [String]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                buffer.append(UInt8(ascii: "\""))
                buffer.append(contentsOf: field.replacingOccurrences(of: "\"", with: "\"\"").utf8)
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: field.utf8)
            }
        }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count > 1 << 20 { flush() }
    }

    private func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        try handle.close()
    }
}
