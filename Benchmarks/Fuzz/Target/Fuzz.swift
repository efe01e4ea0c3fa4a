// clerical-fuzz: one libFuzzer target per parser, chosen by CLERICAL_FUZZ: predictions (the
// predictions CSV and the layout read from its header, imported into a scratch queue), model
// (the Splink model JSON), theme (the theme TOML), truth (the truth file), labels (a labels
// table imported into a small queue), address (a queue URL read as libpq reads one, with a
// password file, a connection service file and PG* variables). Built with -sanitize=fuzzer,address by
// Benchmarks/fuzz.sh; built plainly, it runs each file named on its command line through the
// same target, which is how the crashers in Benchmarks/Fuzz/Regressions stay tested
// (FuzzRegressionTests). A parser may refuse an input with a ClericalError; anything else,
// a trap or a sanitizer report, is a bug.
import ClericalCore
import ClericalPostgres
import ClericalStore
import ClericalTUI
import Foundation

enum FuzzTarget: String, CaseIterable {
    case predictions, model, theme, truth, labels, address

    static let chosen: FuzzTarget = {
        guard let name = ProcessInfo.processInfo.environment["CLERICAL_FUZZ"], let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("clerical-fuzz: set CLERICAL_FUZZ to one of \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(64)
        }
        return target
    }()

    /// Scratch files live in memory (/dev/shm where there is one): the parsers read paths.
    static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let folder = "\(base)/clerical-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// A three-pair queue for the labels target, made once.
    static let labelsQueue: String = {
        let csv = """
            match_weight,match_probability,unique_id_l,unique_id_r,name_l,name_r,gamma_name
            3.5,0.92,a,b,ann,anne,1
            -2.0,0.2,a,c,ann,bob,0
            8.0,0.99,b,c,anne,anne,2

            """
        let input = "\(scratch)/labels-queue.csv", queue = "\(scratch)/labels-base.db"
        _ = FileManager.default.createFile(atPath: input, contents: Data(csv.utf8))
        do { _ = try SplinkImporter.run(queue: queue, predictions: input) } catch { fatalError("cannot make the labels queue: \(error)") }
        return queue
    }()

    func run(_ data: Data) {
        let input = "\(FuzzTarget.scratch)/input"
        do {
            switch self {
            case .model:
                _ = try SplinkModel(json: data, file: "model.json")
            case .theme:
                _ = try Theme.parse(String(decoding: data, as: UTF8.self), file: "theme.toml")
            case .predictions:
                let queue = "\(FuzzTarget.scratch)/predictions.db"
                defer { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(queue + suffix) } }
                _ = FileManager.default.createFile(atPath: input, contents: data)
                _ = try SplinkImporter.run(queue: queue, predictions: input)
            case .truth:
                _ = FileManager.default.createFile(atPath: input, contents: data)
                _ = try TruthFile(path: input)
            case .address:
                try FuzzTarget.readAddress(data)
            case .labels:
                let queue = "\(FuzzTarget.scratch)/labels.db"
                defer { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(queue + suffix) } }
                try? FileManager.default.removeItem(atPath: queue)
                // libFuzzer's timer signals can interrupt a file copy (EINTR): retry, since that
                // is the harness's trouble, not the parser's.
                var copied = false
                for _ in 0..<10 where !copied {
                    copied = (try? FileManager.default.copyItem(atPath: FuzzTarget.labelsQueue, toPath: queue)) != nil
                    if !copied { try? FileManager.default.removeItem(atPath: queue) }
                }
                guard copied else { fatalError("labels: cannot copy the scratch queue") }
                _ = FileManager.default.createFile(atPath: input, contents: data)
                _ = try LabelImport.run(queue: queue, labels: input, reviewer: "fuzz")
            }
        } catch {
            // A clear refusal (every parser throws only ClericalError) is what a parser should do
            // with bad input.
        }
    }
}

extension FuzzTarget {
    /// The address target's input is up to four parts split at NUL bytes: the URL, the
    /// password file's text, the connection service file's text, and `NAME=VALUE` lines of PG*
    /// variables. The service file is a scratch file the variables point at (never the user's).
    static func readAddress(_ data: Data) throws(ClericalError) {
        let parts = data.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let text = parts.joined(separator: "\n")
        // A path to a device (`passfile=/dev/zero`) is read as a file would be and never ends:
        // that is the user's choice, not a parser's fault.
        let decoded = (text.removingPercentEncoding ?? text).lowercased()
        if ["/dev", "/proc", "/sys"].contains(where: { decoded.contains($0) }) { return }
        let serviceFile = "\(scratch)/pg_service.conf"
        _ = FileManager.default.createFile(atPath: serviceFile, contents: Data((parts.count > 2 ? parts[2] : "").utf8))
        var environment = ["HOME": scratch, "PGSERVICEFILE": serviceFile, "PGSYSCONFDIR": "\(scratch)/etc"]
        for line in (parts.count > 3 ? parts[3] : "").split(separator: "\n") {
            guard let equals = line.firstIndex(of: "="), line.hasPrefix("PG") else { continue }
            let name = String(line[..<equals])
            guard !["PGSERVICEFILE", "PGSYSCONFDIR", "PGPASSFILE"].contains(name) else { continue }
            environment[name] = String(line[line.index(after: equals)...])
        }
        // A password the URL gives is never shown, in an address or in a refusal: what is
        // shown must not hold it where the same URL with another password in its place does not
        // (that would be the host, or a message's own words, holding it by chance). Checked for
        // the passwords that stand once in the whole input.
        let passwordFile = parts.count > 1 ? parts[1] : nil
        func read(_ url: String) -> Result<PostgresAddress, ClericalError> {
            Result { () throws(ClericalError) in try PostgresAddress(url: url, environment: environment, passwordFile: passwordFile) }
        }
        func shown(_ read: Result<PostgresAddress, ClericalError>) -> String {
            switch read {
            case .success(let address):
                ([address.description] + address.endpoints.indices.map { address.only(host: $0).description }).joined(separator: "\n")
            case .failure(let error):
                "\(error)"
            }
        }
        let address = read(parts[0])
        let original = shown(address)
        for secret in urlPasswords(parts[0]) where secret.count >= 4 && text.components(separatedBy: secret).count == 2 {
            let other = shown(read(parts[0].replacingOccurrences(of: secret, with: String(repeating: "Q", count: secret.count))))
            for form in Set([secret, secret.removingPercentEncoding ?? secret]) where form.count >= 4 {
                if original.contains(form) && !other.contains(form) {
                    fatalError("address: the password \(form) shows in: \(original)")
                }
            }
        }
        _ = try address.get()
    }

    /// The passwords written in a URL's text: between the first colon and the last @ of the
    /// part after `://`, and every `password=` value.
    static func urlPasswords(_ url: String) -> [String] {
        var found: [String] = []
        if let scheme = url.range(of: "://") {
            let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(authority[authority.index(after: colon)..<at]))
            }
        }
        for piece in url.components(separatedBy: "password=").dropFirst() {
            found.append(String(piece.prefix { $0 != "&" }))
        }
        return found
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    FuzzTarget.chosen.run(Data(bytes: bytes, count: count))
    return 0
}

#if FUZZING
// SwiftPM links an executable's entry point as `<module>_main` (so that tests can link the
// module), which keeps libFuzzer's own main out: this one hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("clerical_fuzz_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzzOneInput)
}
#else
@main
struct RegressionRunner {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("clerical-fuzz: cannot read \(path)\n".utf8))
                exit(66)
            }
            FuzzTarget.chosen.run(data)
            print("ok \(path)")
        }
    }
}
#endif
