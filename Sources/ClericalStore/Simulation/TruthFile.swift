import ClericalCore
import Foundation

/// A ground-truth file: `unique_id_l,unique_id_r,is_match`, with `source_dataset_l` and
/// `source_dataset_r` for link jobs; is_match is 1 or 0 (true/false also read).
package struct TruthFile {
    struct Entry {
        var left: RecordKey
        var right: RecordKey
        var isMatch: Bool
    }

    struct RecordKey: Hashable {
        var dataset: String
        var uniqueID: String
    }

    var entries: [Entry] = []
    var hasDatasets = false

    package init(path: String) throws(ClericalError) {
        var reader = try CSVReader(path: path)
        defer { reader.close() }
        guard try reader.nextRow() else {
            throw ClericalError(.dataError, "the file is empty: expected a header unique_id_l,unique_id_r,is_match",
                                at: InputLocation(file: path))
        }
        try reader.validateUTF8()
        let header = try (0..<reader.fieldCount).map { i throws(ClericalError) in try reader.string(at: i) }
        func column(_ name: String) throws(ClericalError) -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw ClericalError(.dataError, "no column \"\(name)\": a truth file has unique_id_l,unique_id_r,is_match (and source_dataset_l,source_dataset_r for link jobs)",
                                    at: InputLocation(file: path, line: 1))
            }
            return index
        }
        let leftID = try column("unique_id_l"), rightID = try column("unique_id_r"), isMatch = try column("is_match")
        let leftDataset = header.firstIndex(of: "source_dataset_l"), rightDataset = header.firstIndex(of: "source_dataset_r")
        hasDatasets = leftDataset != nil && rightDataset != nil
        while try reader.nextRow() {
            guard reader.fieldCount == header.count else {
                throw ClericalError(.dataError, "\(reader.fieldCount) fields where the header has \(header.count)", at: reader.rowLocation())
            }
            try reader.validateUTF8()
            let flag = try reader.string(at: isMatch).trimmingCharacters(in: .whitespaces).lowercased()
            let value: Bool
            switch flag {
            case "1", "1.0", "true": value = true
            case "0", "0.0", "false": value = false
            default:
                throw ClericalError(.dataError, "is_match is \"\(flag)\"; expected 1 or 0", at: reader.location(field: isMatch))
            }
            entries.append(Entry(
                left: RecordKey(dataset: try leftDataset.map { i throws(ClericalError) in try reader.string(at: i) } ?? "",
                                uniqueID: try reader.string(at: leftID)),
                right: RecordKey(dataset: try rightDataset.map { i throws(ClericalError) in try reader.string(at: i) } ?? "",
                                 uniqueID: try reader.string(at: rightID)),
                isMatch: value))
        }
    }
}
