import ClericalStore
import Foundation

/// A fresh folder holding a queue imported from one of the fixtures (every pair in the band).
func importedQueue(_ predictions: String, named name: String) throws -> (folder: URL, path: String) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clerical-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent("\(name).db").path
    try SplinkImporter.run(queue: path, predictions: ReviewScreenTests.fixtures.appendingPathComponent(predictions).path,
                           model: ReviewScreenTests.fixtures.appendingPathComponent("model.json").path, band: .probability(low: 0, high: 1))
    return (folder, path)
}
