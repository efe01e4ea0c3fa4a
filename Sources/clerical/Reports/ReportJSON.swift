import Foundation

/// The one JSON style of every `--json` report (status, reestimate, qa quality, qa report,
/// simulate): snake_case keys, sorted, pretty-printed.
enum ReportJSON {
    static func encode<T: Encodable>(_ value: T, adding extra: [String: Any] = [:]) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data()
        guard !extra.isEmpty else { return String(decoding: data, as: UTF8.self) }
        var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        object.merge(extra) { $1 }
        return encode(object: object)
    }

    /// A report built as a dictionary, its keys already snake_case, in the same style.
    static func encode(object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
