import ArgumentParser
import ClericalCore
import ClericalStore
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Import the bundled sample queue into a fresh queue file and open it for review.")

    @Option(help: "Where to write the demo queue (default: a new file in the temporary folder).")
    var queue: String?
    @Flag(help: "Import and print the queue's status instead of opening the review screen.")
    var noReview = false

    func run() throws {
        try reportingErrors { () throws(ClericalError) in
            let sample = try SampleQueue.locate(name: "justice")
            let path = queue ?? lastDemoPath
            if FileManager.default.fileExists(atPath: path) {
                throw ClericalError(.cannotCreate, "\(path) already exists: the demo writes a fresh queue; name another with --queue")
            }
            let summary = try SplinkImporter.run(queue: path, predictions: sample.predictions, model: sample.model)
            print(ImportReport.text(summary, queue: path, file: sample.predictions))
            if noReview {
                print("")
                let handle = try QueueHandle(path: path)
                defer { handle.close() }
                print(try handle.status().text())
            }
        }
        if !noReview {
            try ReviewCommand.review(queue: queue ?? lastDemoPath, theme: nil, blind: false)
            print("Your verdicts are in \(queue ?? lastDemoPath); `clerical status` shows them.")
        }
    }

    private var lastDemoPath: String {
        NSTemporaryDirectory() + "clerical-demo-\(ProcessInfo.processInfo.processIdentifier).db"
    }
}

/// The sample queues shipped in `SampleQueues/`, found from the working directory or from
/// this source file's checkout (so `swift run clerical demo` works from anywhere in it).
enum SampleQueue {
    static func locate(name: String) throws(ClericalError) -> (predictions: String, model: String) {
        var roots: [String] = []
        if let configured = ProcessInfo.processInfo.environment["CLERICAL_SAMPLES"] { roots.append(configured) }
        roots.append(FileManager.default.currentDirectoryPath + "/SampleQueues")
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()  // Commands
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        roots.append(checkout.appendingPathComponent("SampleQueues").path)
        for root in roots {
            let predictions = "\(root)/\(name)/predictions.csv", model = "\(root)/\(name)/model.json"
            if FileManager.default.fileExists(atPath: predictions) && FileManager.default.fileExists(atPath: model) {
                return (predictions, model)
            }
        }
        throw ClericalError(.noInput, "the sample queue \"\(name)\" was not found in \(roots.joined(separator: " or ")); set CLERICAL_SAMPLES to the SampleQueues folder")
    }
}
