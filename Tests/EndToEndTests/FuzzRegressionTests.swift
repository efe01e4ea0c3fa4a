import Foundation
import XCTest

/// Replays, through the plain build of each fuzz target (Benchmarks/Fuzz/Target), every input
/// that ever crashed one (Benchmarks/Fuzz/Regressions/TARGET/) and a few hostile inputs written
/// here: each must end in a clear refusal or a success, never a trap.
final class FuzzRegressionTests: XCTestCase {
    static let hostile: [String: [String]] = [
        "predictions": [
            "",
            "match_weight,match_probability,unique_id_l,unique_id_r,gamma_x\n\"1,0.5,a,b,1\n",
            "match_weight,match_probability,unique_id_l,unique_id_r,gamma_x\n1e999,0.5,a,b,99999999999999999999\n",
            "match_weight,match_probability,unique_id_l,unique_id_r,gamma_x\n1,0.5,a,b,1,extra\n\u{FF}\n",
            "match_probability,unique_id_l,unique_id_r,gamma_x,gamma_x\n0.5,a,a,1,1\n",
        ],
        "model": ["", "{", "[]", "{\"comparisons\": [{\"comparison_levels\": [{}]}]}", "{\"probability_two_random_records_match\": 2}"],
        "theme": ["", "[roles", "name = 1\n[roles]\nnormal = { fg = 300 }\n", "[roles.normal]\nfg = \"#zz\"\n"],
        "truth": ["", "unique_id_l,unique_id_r,is_match\na,b,maybe\n", "unique_id_l,unique_id_r\n\"a\n"],
        "labels": ["", "unique_id_l,unique_id_r,clerical_match_score\na,b,2\n", "unique_id_l,unique_id_r,clerical_match_score\na,zz,1\nb,c,nan\n"],
        // URL \0 password file \0 service file \0 PG* variables
        "address": ["", "postgresql://", "postgresql://a@h1:1,,h2/db?schema=q", "postgresql://a@[::1/db", "postgresql://a@h:99999/db",
                    "postgresql://a@h1,h2/db?port=1,2,3", "postgresql:///db?service=s\u{0}\u{0}[s\nhost=x\n",
                    "postgresql:///db?service=s\u{0}\u{0}[s]\nservice=t\n", "postgresql://?schema=q\u{0}:::::\n\\\u{0}\u{0}PGHOST=,\nPGPORT=x\n",
                    "postgresql://a:%ZZ@h/db", "postgresql://a@h/db?target_session_attrs=standby&sslmode=verify-ca&sslrootcert=system"],
    ]

    func testEveryCrasherAndHostileInputIsRefusedCleanly() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (target, inputs) in Self.hostile.sorted(by: { $0.key < $1.key }) {
            var paths: [String] = []
            for (i, text) in inputs.enumerated() {
                let url = folder.appendingPathComponent("\(target)-\(i)")
                try Data(text.utf8).write(to: url)
                paths.append(url.path)
            }
            let regressions = Binary.checkout.appendingPathComponent("Benchmarks/Fuzz/Regressions/\(target)")
            let crashers = try FileManager.default.contentsOfDirectory(atPath: regressions.path).filter { !$0.hasPrefix(".") }
            paths += crashers.map { regressions.appendingPathComponent($0).path }

            let run = try Binary.run(paths, environment: ProcessInfo.processInfo.environment.merging(["CLERICAL_FUZZ": target]) { $1 },
                                     tool: "clerical-fuzz")
            XCTAssertEqual(run.status, 0, "\(target): \(run.stderr)")
            XCTAssertEqual(run.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count, paths.count, "\(target): \(run.stdout)")
        }
    }
}
