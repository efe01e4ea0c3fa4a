import ClericalCore
import Foundation

/// Writes an export atomically: to a temporary file beside the target, then renamed, so a
/// failed export never leaves half a file where the old one was.
enum ExportFile {
    static func write(_ text: String, to path: String) throws(ClericalError) {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ClericalError(.cannotCreate, "\(path): is a directory; give a file name to write")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial")
        do {
            try Data(text.utf8).write(to: temporary)
            // rename(2) replaces the old file, if any, in one step.
            guard rename(temporary.path, path) == 0 else {
                throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ClericalError(.cannotCreate, "\(path): cannot write: \((error as NSError).localizedDescription)")
        }
    }
}

/// CSV as Splink and spreadsheets read it: fields quoted only when they must be.
enum CSVText {
    static func field(_ value: String?) -> String {
        guard let value else { return "" }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func row(_ values: [String?]) -> String {
        values.map(field).joined(separator: ",") + "\n"
    }

    static func number(_ value: Double?) -> String? {
        value.map { "\($0)" }
    }
}
