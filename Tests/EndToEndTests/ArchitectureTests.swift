import Foundation
import XCTest

/// The boundaries ARCHITECTURE.md draws, read from the sources themselves.
final class ArchitectureTests: XCTestCase {
    func sources(_ folder: String) throws -> [(file: String, text: String)] {
        let root = Binary.checkout.appendingPathComponent(folder)
        let files = try XCTUnwrap(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        XCTAssertFalse(files.isEmpty, "no sources under \(folder)")
        return try files.map { ($0.lastPathComponent, try String(contentsOf: $0, encoding: .utf8)) }
    }

    /// The screens and commands know the store only by the project's own types.
    func testTheScreensAndCommandsImportNoDatabaseLibrary() throws {
        for folder in ["Sources/ClericalTUI", "Sources/clerical", "Sources/ClericalCore"] {
            for (file, text) in try sources(folder) {
                XCTAssertFalse(text.contains("import GRDB"), "\(folder)/\(file) imports GRDB")
                XCTAssertFalse(text.contains("import SQLite3"), "\(folder)/\(file) imports SQLite")
            }
        }
    }

    /// PostgreSQL is spoken in ClericalPostgres alone: the commands, screens, core and the
    /// SQLite store never see PostgresNIO.
    func testOnlyThePostgresTargetImportsPostgresNIO() throws {
        for folder in ["Sources/ClericalTUI", "Sources/clerical", "Sources/ClericalCore", "Sources/ClericalStore"] {
            for (file, text) in try sources(folder) {
                XCTAssertFalse(text.contains("import PostgresNIO"), "\(folder)/\(file) imports PostgresNIO")
                XCTAssertFalse(text.contains("import NIO"), "\(folder)/\(file) imports NIO")
            }
        }
        XCTAssertTrue(try sources("Sources/ClericalPostgres").contains { $0.text.contains("import PostgresNIO") })
    }

    /// No GRDB or SQLite type in a public declaration of ClericalStore: a second backend
    /// implements the same interface.
    func testTheStoresPublicInterfaceHasNoDatabaseTypes() throws {
        let databaseTypes = ["Database", "DatabaseQueue", "DatabasePool", "Row", "Statement", "DatabaseValue",
                             "FetchableRecord", "PersistableRecord", "DatabaseValueConvertible", "OpaquePointer"]
        let pattern = try NSRegularExpression(pattern: "\\b(" + databaseTypes.joined(separator: "|") + ")\\b")
        for (file, text) in try sources("Sources/ClericalStore") {
            for line in text.split(separator: "\n") {
                let code = line.trimmingCharacters(in: .whitespaces)
                guard code.hasPrefix("public ") || code.hasPrefix("open ") || code.contains(" public ") else { continue }
                let range = NSRange(code.startIndex..., in: code)
                XCTAssertNil(pattern.firstMatch(in: code, range: range), "\(file): public API names a database type: \(code)")
            }
        }
    }
}
