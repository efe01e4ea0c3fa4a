import ClericalCore
import ClericalStore
import Foundation

/// The supervisor dashboard's state: the latest figures, the selected claim, and a name
/// being typed for a reassignment.
public struct DashboardState: Equatable, Sendable {
    public var queueName: String
    public var supervisor: String
    public var width: Int
    public var height: Int
    public var counts = QueueCounts()
    public var pendingByProbability: [QueueStatus.ProbabilityBin] = []
    public var team = TeamFigures()
    public var modelVersions: [QueueStatus.ModelVersion] = []
    public var selectedClaim = 0
    /// The name typed so far when reassigning; nil when not reassigning.
    public var reassigningTo: String?
    public var message: String?
    public var quitting = false

    public init(queueName: String, supervisor: String, width: Int, height: Int) {
        self.queueName = queueName
        self.supervisor = supervisor
        self.width = width
        self.height = height
    }

    var selected: ClaimInfo? { team.claims.indices.contains(selectedClaim) ? team.claims[selectedClaim] : nil }
}

public enum DashboardEvent: Equatable, Sendable {
    case key(Key)
    case refreshed(QueueStatus.Live, team: TeamFigures)
    case resize(width: Int, height: Int)
    case done(String)
}

public enum DashboardCommand: Equatable, Sendable {
    case expire(pairID: Int64)
    case reassign(pairID: Int64, to: String)
}

/// Keys in, state and commands out; pure, like `ReviewApp`.
public enum DashboardApp {
    public static func update(_ state: inout DashboardState, _ event: DashboardEvent) -> [DashboardCommand] {
        switch event {
        case let .refreshed(live, team):
            state.counts = live.pairs
            state.pendingByProbability = live.pendingByProbability
            state.modelVersions = live.modelVersions
            state.team = team
            state.selectedClaim = min(state.selectedClaim, max(0, team.claims.count - 1))
        case let .resize(width, height):
            state.width = width
            state.height = height
        case let .done(message):
            state.message = message
        case let .key(key):
            if var name = state.reassigningTo {
                switch key {
                case .escape: state.reassigningTo = nil
                case .backspace: name = String(name.dropLast()); state.reassigningTo = name
                case .enter:
                    state.reassigningTo = nil
                    if let claim = state.selected, !name.isEmpty { return [.reassign(pairID: claim.pairID, to: name)] }
                case .character(let c): state.reassigningTo = name + String(c)
                default: break
                }
                return []
            }
            switch Action.action(for: key, on: .dashboard) {
            case .claimUp?: state.selectedClaim = max(0, state.selectedClaim - 1)
            case .claimDown?: state.selectedClaim = min(max(0, state.team.claims.count - 1), state.selectedClaim + 1)
            case .expireClaim?: if let claim = state.selected { return [.expire(pairID: claim.pairID)] }
            case .reassignClaim?: if state.selected != nil { state.reassigningTo = "" }
            case .quit?: state.quitting = true
            default: break
            }
        }
        return []
    }
}

/// The dashboard drawn into a buffer: a pure function of the state.
public enum DashboardView {
    public static func render(_ state: DashboardState) -> ScreenBuffer {
        var buffer = ScreenBuffer(width: state.width, height: state.height)
        guard state.width >= 80, state.height >= 24 else {
            buffer.put("Enlarge the window to at least 80×24.", x: 0, y: 0, style: CellStyle(.warning))
            return buffer
        }
        let counts = state.counts
        buffer.paint(y: 0, style: CellStyle(.header))
        var x = buffer.put(" clerical dashboard ", x: 0, y: 0, style: CellStyle(.title))
        buffer.put(" \(state.queueName) · supervisor \(state.supervisor)", x: x, y: 0, style: CellStyle(.header))

        let forReview = max(1, counts.forReview)
        let done = Double(counts.decided) / Double(forReview)
        let filled = Int((done * 40).rounded(.down))
        buffer.repeatCharacter("█", count: filled, x: 1, y: 2, style: CellStyle(.agree))
        buffer.repeatCharacter("░", count: 40 - filled, x: 1 + filled, y: 2, style: CellStyle(.dim))
        buffer.put(" \(Int(done * 100))% of \(counts.forReview) for review", x: 41, y: 2)
        buffer.put(" pending \(counts.awaitingReview) · claimed \(counts.claimed) · decided \(counts.decided) · disputed \(counts.disputed) · by the model \(counts.decidedByModel)",
                   x: 0, y: 3, style: CellStyle(.label))
        var finish = " no verdicts in the last hour: no finish estimate"
        if let hours = state.team.hoursToFinish, let at = state.team.estimatedFinish {
            finish = String(format: " %d verdicts in the last hour: done in %.1f h at this pace (%@)",
                            state.team.verdictsLastHour, hours, String(at.prefix(16)).replacingOccurrences(of: "T", with: " "))
        }
        buffer.put(finish, x: 0, y: 4, style: CellStyle(.normal))

        // Pending pairs by probability band, as a small histogram.
        buffer.put(" Pending by match probability", x: 0, y: 6, style: CellStyle(.label, bold: true))
        let largest = max(1, state.pendingByProbability.map(\.count).max() ?? 1)
        for (i, bin) in state.pendingByProbability.enumerated() {
            let y = 7 + i / 2, column = (i % 2) * 40
            let bar = bin.count == 0 ? 0 : max(1, bin.count * 16 / largest)
            x = buffer.put(String(format: " %.1f–%.1f ", bin.low, bin.high), x: column, y: y, style: CellStyle(.label))
            buffer.repeatCharacter("▇", count: bar, x: column + x, y: y, style: CellStyle(.evidencePositive))
            buffer.put(" \(bin.count)", x: column + x + bar, y: y)
        }

        // Reviewers.
        var y = 13
        buffer.put(" reviewer         last hour  today  s/verdict  unsure  2nd-review agreement", x: 0, y: y, style: CellStyle(.label, bold: true))
        y += 1
        let claimRows = min(state.team.claims.count, 4)
        let reviewerRows = max(1, state.height - y - claimRows - 6)
        for activity in state.team.reviewers.prefix(reviewerRows) {
            let seconds = activity.medianSecondsPerVerdict.map { String(format: "%9.1f", $0) } ?? "        –"
            let unsure = activity.unsureShare.map { String(format: "%5.0f%%", $0 * 100) } ?? "     –"
            let agreement = activity.secondReviewAgreement.map { String(format: "%.0f%% of %d", $0 * 100, activity.secondReviewed) } ?? "–"
            let name = String(activity.reviewer.prefix(16)).padding(toLength: 16, withPad: " ", startingAt: 0)
            buffer.put(" \(name) \(String(format: "%9d  %5d", activity.verdictsLastHour, activity.verdictsToday))  \(seconds)  \(unsure)  \(agreement)",
                       x: 0, y: y)
            y += 1
        }
        if state.team.reviewers.isEmpty { buffer.put(" no verdicts yet", x: 0, y: y, style: CellStyle(.dim)); y += 1 }

        // Claims, with the selected one highlighted.
        y += 1
        buffer.put(" claims (\(state.team.claims.count))", x: 0, y: y, style: CellStyle(.label, bold: true))
        y += 1
        let first = max(0, min(state.selectedClaim - claimRows + 1, state.team.claims.count - claimRows))
        for (offset, claim) in state.team.claims.dropFirst(first).prefix(claimRows).enumerated() {
            let lease = claim.secondsLeft >= 0 ? String(format: "lease %3.0f s left", claim.secondsLeft) : "lease expired"
            let text = " pair #\(claim.pairID)  \(claim.kind)  \(claim.reviewer)  \(lease)"
            let isSelected = first + offset == state.selectedClaim
            if isSelected { buffer.paint(y: y, style: CellStyle(.selection)) }
            buffer.put(text, x: 0, y: y, style: CellStyle(isSelected ? .selection : .normal))
            y += 1
        }

        // The model: versions, and what the last re-estimation changed.
        let modelY = state.height - 4
        if let last = state.team.lastReestimation {
            buffer.put(String(format: " model v%lld · last re-estimation: λ %.4g → %.4g, weights moved ≤ %.2f bits, %d labels, %d pairs into review",
                              last.modelVersion, last.lambdaBefore, last.lambdaAfter,
                              last.largestWeightChange, last.labels, last.movedIntoReview),
                       x: 0, y: modelY, style: CellStyle(.label))
        } else {
            buffer.put(" model v\(state.modelVersions.last?.id ?? 0) (\(state.modelVersions.count) version\(state.modelVersions.count == 1 ? "" : "s")): not re-estimated yet",
                       x: 0, y: modelY, style: CellStyle(.label))
        }
        if let name = state.reassigningTo {
            buffer.put(" Reassign pair #\(state.selected?.pairID ?? 0) to: \(name)▏ (Enter hands it over, Esc cancels)", x: 0, y: state.height - 2,
                       style: CellStyle(.note))
        } else if let message = state.message {
            buffer.put(" " + message, x: 0, y: state.height - 2, style: CellStyle(.warning))
        }
        let footerY = state.height - 1
        buffer.paint(y: footerY, style: CellStyle(.footer))
        x = 0
        for binding in Action.bindings(on: .dashboard) {
            x += buffer.put(" \(binding.keyLabel)", x: x, y: footerY, style: CellStyle(.key))
            x += buffer.put(" \(binding.name) ", x: x, y: footerY, style: CellStyle(.footer))
        }
        return buffer
    }
}

/// The dashboard's loop: refresh once a second (reading only what changed), keys between.
@MainActor
public enum DashboardRunner {
    public static func run(queuePath: String) throws(ClericalError) -> Int32 {
        let account = try Identity.current()
        try Reviewers.require(.watchDashboard, queue: queuePath, account: account)
        let queue = try QueueHandle(path: queuePath)
        defer { queue.close() }
        let terminal = try CursesTerminal(theme: try Theme.load(Theme.startingName))
        defer { terminal.end() }
        let activity = TeamActivity()
        var state = DashboardState(queueName: URL(fileURLWithPath: queuePath).lastPathComponent, supervisor: account,
                                   width: terminal.size.width, height: terminal.size.height)
        var lastRefresh = Date.distantPast
        var drawn: DashboardState?
        while !state.quitting {
            if Date().timeIntervalSince(lastRefresh) >= 1 {
                do throws(ClericalError) {
                    _ = DashboardApp.update(&state, .refreshed(try queue.live(), team: try queue.team(activity)))
                } catch {
                    _ = DashboardApp.update(&state, .done(error.description))
                }
                lastRefresh = Date()
            }
            if drawn != state {
                terminal.draw(DashboardView.render(state))
                drawn = state
            }
            let key: Key
            switch terminal.nextInput() {
            case .key(.resize):
                _ = DashboardApp.update(&state, .resize(width: terminal.size.width, height: terminal.size.height))
                continue
            case .key(let pressed): key = pressed
            case .idle: continue
            case let gone: return gone.exitStatus ?? 129
            }
            for command in DashboardApp.update(&state, .key(key)) {
                do throws(ClericalError) {
                    switch command {
                    case let .expire(pairID):
                        try ClaimAdministration.expire(queue: queuePath, pairID: pairID, by: account)
                        _ = DashboardApp.update(&state, .done("Claim on pair #\(pairID) ended: the pair is back in the queue."))
                    case let .reassign(pairID, name):
                        try ClaimAdministration.reassign(queue: queuePath, pairID: pairID, to: name, by: account)
                        _ = DashboardApp.update(&state, .done("Pair #\(pairID) is now \(name)'s."))
                    }
                } catch {
                    _ = DashboardApp.update(&state, .done(error.description))
                }
                lastRefresh = .distantPast
            }
        }
        return 0
    }
}
