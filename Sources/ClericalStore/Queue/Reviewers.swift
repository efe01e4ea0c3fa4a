import ClericalCore
import Foundation
import GRDB

/// Who is using clerical: the operating-system account.
public enum Identity {
    /// Root may act as another account (administration and tests) through `CLERICAL_ACCOUNT`:
    /// root can edit any file anyway. For everyone else the variable is refused.
    public static func current() throws(ClericalError) -> String {
        let real = osAccount()
        guard let other = ProcessInfo.processInfo.environment["CLERICAL_ACCOUNT"], !other.isEmpty, other != real else { return real }
        guard geteuid() == 0 else {
            throw ClericalError(.notPermitted, "CLERICAL_ACCOUNT is only honoured for root; you are \(real)")
        }
        return other
    }

    public static func osAccount() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "uid-\(geteuid())"
    }
}

public struct RegisteredReviewer: Sendable, Equatable, Codable {
    public var name: String
    public var role: ReviewerRole
    public var addedAt: String
}

/// The reviewer list and access checks. All SQL about reviewers lives here.
///
///     try Reviewers.require(.reestimate, queue: "queue.db", account: try Identity.current())
public enum Reviewers {
    static func rule(_ db: some QueueReading) throws -> AccessRule {
        var reviewers: [String: ReviewerRole] = [:]
        for row in try db.queueRows("SELECT name, role FROM reviewer") {
            if let role = ReviewerRole(rawValue: row.text("role")) { reviewers[row.text("name")] = role }
        }
        return AccessRule(reviewers: reviewers)
    }

    package static func require(_ action: QueueAction, account: String, _ db: some QueueReading) throws {
        if let reason = try rule(db).refusal(of: action, by: account) {
            throw ClericalError(.notPermitted, reason)
        }
    }

    /// Refuses (exit 77, naming who may) unless `account` may do `action` on the queue.
    public static func require(_ action: QueueAction, queue path: String, account: String) throws(ClericalError) {
        try QueueFile.using(path) { db in try require(action, account: account, db) }
    }

    public static func list(queue path: String) throws(ClericalError) -> [RegisteredReviewer] {
        try QueueFile.using(path) { db in try list(db) }
    }

    package static func list(_ db: some QueueReading) throws -> [RegisteredReviewer] {
        try db.queueRows("SELECT name, role, added_at FROM reviewer ORDER BY name").map {
            RegisteredReviewer(name: $0.text("name"), role: ReviewerRole(rawValue: $0.text("role")) ?? .reviewer, addedAt: $0.text("added_at"))
        }
    }

    /// Adds a reviewer, or changes the role of one already there. The first reviewer of an
    /// open queue must be a supervisor: once anyone is registered, only supervisors manage
    /// reviewers, so anything else would lock everyone out.
    public static func add(queue path: String, name: String, role: ReviewerRole, by account: String) throws(ClericalError) {
        guard isValidName(name) else {
            throw ClericalError(.usage, "\"\(name)\" is not an account name (letters, digits, '.', '_', '-', up to 64)")
        }
        try QueueFile.using(path, writing: true) { db in
            try require(.manageReviewers, account: account, db)
            if let reason = try rule(db).refusal(toRegister: name, as: role) { throw ClericalError(.usage, reason) }
            try db.execute(sql: """
                INSERT INTO reviewer (name, role, added_at) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET role = excluded.role
                """, arguments: [name, role.rawValue, Timestamp.now()])
        }
    }

    /// Makes masked review the queue's default, or not (supervisors).
    public static func setMasking(queue path: String, on: Bool, by account: String) throws(ClericalError) {
        try QueueFile.using(path, writing: true) { db in try setMasking(db, on: on, by: account) }
    }

    package static func setMasking(_ db: some QueueWriting, on: Bool, by account: String) throws {
        try require(.manageReviewers, account: account, db)
        var settings = try QueueSettings.load(db)
        settings.maskByDefault = on
        try settings.save(db)
    }

    /// Whether the queue reviews masked by default.
    public static func masksByDefault(queue path: String) throws(ClericalError) -> Bool {
        try QueueFile.using(path) { db in try masksByDefault(db) }
    }

    /// Whether the queue's reviewers work masked unless they choose otherwise.
    package static func masksByDefault(_ db: some QueueReading) throws -> Bool {
        try QueueSettings.load(db).maskByDefault
    }

    public static func remove(queue path: String, name: String, by account: String) throws(ClericalError) {
        try QueueFile.using(path, writing: true) { db in try remove(db, name: name, from: path, by: account) }
    }

    package static func remove(_ db: some QueueWriting, name: String, from place: String, by account: String) throws {
        try require(.manageReviewers, account: account, db)
        let rule = try rule(db)
        guard rule.reviewers[name] != nil else {
            throw ClericalError(.usage, "\(name) is not a registered reviewer of \(place)")
        }
        if let reason = rule.refusal(toRemove: name) { throw ClericalError(.usage, reason) }
        try db.queueExecute("DELETE FROM reviewer WHERE name = ?", [.text(name)])
        // Their claims of every kind (review, audit, second review, adjudication) go back
        // now rather than when the leases run out.
        try Claims.release(db, .init(pair: nil, holder: name))
    }

    package static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}
