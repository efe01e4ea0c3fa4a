import ClericalCore
import Foundation

// clerical-samplegen: writes synthetic Splink 5 output (predictions.csv, model.json,
// truth.csv) for synthetic people, through the same format the importer reads.
//
//   swift run clerical-samplegen SampleQueues/justice --people 500 --seed 7
//   swift run -c release clerical-samplegen /tmp/bench --pairs 1000000
//   swift run -c release clerical-samplegen /tmp/bench --pairs 1000000 --hubs 2000   # 2,000 records with 60 candidates

struct Options {
    var output = ""
    var people = 220
    var pairs: Int?
    var seed: UInt64 = 7
    /// Records given `SampleGenerator.hubCandidates` candidates each (with --pairs).
    var hubs = 0

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--people": guard let v = rest.popFirst().flatMap(Int.init) else { return nil }; options.people = v
            case "--pairs": guard let v = rest.popFirst().flatMap(Int.init) else { return nil }; options.pairs = v
            case "--seed": guard let v = rest.popFirst().flatMap(UInt64.init) else { return nil }; options.seed = v
            case "--hubs": guard let v = rest.popFirst().flatMap(Int.init) else { return nil }; options.hubs = v
            default:
                guard !argument.hasPrefix("-"), options.output.isEmpty else { return nil }
                options.output = argument
            }
        }
        return options.output.isEmpty ? nil : options
    }
}

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data("usage: clerical-samplegen OUTPUT-FOLDER [--people N] [--pairs N [--hubs N]] [--seed S]\n".utf8))
    exit(64)
}

var generator = SampleGenerator(seed: options.seed)
// A benchmark-sized file needs about one record per 2.5 pairs; a sample is as large as asked.
let people = options.pairs.map { max(1000, $0 / 4) } ?? options.people
generator.makePopulation(people: people)
let pairs = options.pairs.map { generator.sampledPairs(count: $0, hubs: options.hubs) } ?? generator.blockedPairs()
let model = generator.estimateModel()
try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
try generator.writeModel(model, to: options.output + "/model.json")
// A sample keeps what Splink's predict(threshold_match_probability=0.001) would; a benchmark keeps every pair.
let summary = try generator.writePredictions(pairs, model: model, threshold: options.pairs == nil ? 0.001 : 0, to: options.output)
print("wrote \(options.output): \(summary.pairs) pairs (\(summary.matches) true matches) of \(generator.records.count) records")
