/// What a command does to a queue, for deciding who may do it.
///
/// A queue with no registered reviewers is open: anyone may do anything. Once reviewers
/// exist, only registered accounts may open it, and some actions need a role.
public enum QueueAction: String, Sendable, CaseIterable {
    case review
    case readStatus = "read the status of"
    case verify
    case importPairs = "import into"
    case manageReviewers = "manage the reviewers of"
    case manageClaims = "manage the claims of"
    case watchDashboard = "watch the dashboard of"
    case simulate
    case sample = "sample for second review"
    case audit = "draw an audit of"
    case importLabels = "import labels into"
    case readQualityReport = "read the agreement report of"
    case readLinkageQuality = "read the linkage quality of"
    case adjudicate
    case reestimate
    case export
    case copy

    /// The roles that may do this; every registered account may do the rest.
    public var roles: Set<ReviewerRole>? {
        switch self {
        case .review, .readStatus, .verify: return nil
        case .manageReviewers, .manageClaims, .watchDashboard: return [.supervisor]
        case .copy: return [.supervisor, .qualityLead]
        case .importPairs, .simulate, .readQualityReport, .readLinkageQuality: return [.supervisor, .qualityLead]
        case .sample, .audit, .importLabels, .adjudicate, .reestimate, .export: return [.qualityLead]
        }
    }
}

/// The registered reviewers of a queue, and the rule that says who may do what.
public struct AccessRule: Sendable, Equatable {
    public var reviewers: [String: ReviewerRole]

    public init(reviewers: [String: ReviewerRole]) {
        self.reviewers = reviewers
    }

    /// Nil when `account` may do `action`; otherwise the reason, naming who may.
    public func refusal(of action: QueueAction, by account: String) -> String? {
        guard !reviewers.isEmpty else { return nil }
        guard let role = reviewers[account] else {
            return "\(account) is not a registered reviewer of this queue; a supervisor can add you with `clerical reviewers add \(account) --role reviewer`"
        }
        guard let roles = action.roles, !roles.contains(role) else { return nil }
        let names = roles.map(\.title).sorted().joined(separator: " or ")
        let who = reviewers.filter { roles.contains($0.value) }.keys.sorted()
        return "only a \(names) may \(action.rawValue) this queue (\(who.isEmpty ? "nobody has that role" : who.joined(separator: ", "))); \(account) is a \(role.title)"
    }
}

extension AccessRule {
    /// Nil when `name` may be registered as `role` (or moved to it); otherwise why not. The
    /// first reviewer of an open queue must be a supervisor, since once anyone is registered
    /// only supervisors manage reviewers; and the last supervisor keeps the role.
    public func refusal(toRegister name: String, as role: ReviewerRole) -> String? {
        if reviewers.isEmpty && role != .supervisor {
            return "the first reviewer of a queue must be a supervisor (--role supervisor): once anyone is registered, only supervisors can add others"
        }
        if role != .supervisor, isLastSupervisor(name) { return Self.lastSupervisor(name) }
        return nil
    }

    /// Nil when `name` may be removed; otherwise why not (the last supervisor stays while others are registered).
    public func refusal(toRemove name: String) -> String? {
        reviewers.count > 1 && isLastSupervisor(name) ? Self.lastSupervisor(name) : nil
    }

    private func isLastSupervisor(_ name: String) -> Bool {
        reviewers[name] == .supervisor && reviewers.values.filter { $0 == .supervisor }.count == 1
    }

    private static func lastSupervisor(_ name: String) -> String {
        "\(name) is the queue's last supervisor; add another supervisor first"
    }
}

extension ReviewerRole {
    public var title: String {
        switch self {
        case .reviewer: return "reviewer"
        case .supervisor: return "supervisor"
        case .qualityLead: return "quality lead"
        }
    }
}
