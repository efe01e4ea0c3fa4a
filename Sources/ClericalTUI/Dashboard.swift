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
    /// The team (progress, reviewers, claims) or the linkage quality (Tab switches).
    public enum View: Sendable { case team, quality }
    public var view = View.team
    /// `qa quality`'s estimate, read when the quality view opens and every `qualityTicks` ticks.
    public var quality: QualityEstimate?
    public var ticks = 0
    public static let qualityTicks = 10
    /// The name typed so far when reassigning; nil when not reassigning.
    public var reassigningTo: String?
    public var message: String?
    /// Set when the dashboard is done: 0 on quit, 128 + a signal, 129 on a hang-up.
    public var exitStatus: Int32?

    public init(queueName: String, supervisor: String, width: Int, height: Int) {
        self.queueName = queueName
        self.supervisor = supervisor
        self.width = width
        self.height = height
    }

    var selected: ClaimInfo? { team.claims.indices.contains(selectedClaim) ? team.claims[selectedClaim] : nil }

    /// Where keys go: the name prompt takes them all while it is open.
    public var keyScreen: Action.Screen {
        if reassigningTo != nil { return .reassigning }
        return Widgets.isTooSmall(width: width, height: height) ? .tooSmall : .dashboard
    }
}

public enum DashboardEvent: ScreenEvent {
    case key(Key)
    case refreshed(QueueStatus.Live, team: TeamFigures)
    case qualityRefreshed(QualityEstimate)
    case resize(width: Int, height: Int)
    /// Once a second: time to read the figures again.
    case tick
    case terminalGone(exitStatus: Int32)
    /// A claim was ended or handed over; the message says which.
    case claimChanged(String)
    case failed(String)
}

public enum DashboardCommand: Equatable, Sendable {
    case refresh
    /// The linkage-quality estimate: O(patterns + verdicts), so not every second.
    case refreshQuality
    case expire(pairID: Int64)
    case reassign(pairID: Int64, to: String)
}

/// Keys in, state and commands out; pure, like `ReviewApp`.
public enum DashboardApp: ScreenProgram {
    public static func start(_ state: DashboardState) -> [DashboardCommand] { [.refresh] }
    public static func render(_ state: DashboardState) -> ScreenBuffer { DashboardView.render(state) }
    public static func exitStatus(_ state: DashboardState) -> Int32? { state.exitStatus }


    public static func update(_ state: inout DashboardState, _ event: DashboardEvent) -> [DashboardCommand] {
        switch event {
        case .tick:
            state.ticks += 1
            let quality = state.view == .quality && state.ticks % DashboardState.qualityTicks == 0
            return quality ? [.refresh, .refreshQuality] : [.refresh]
        case let .qualityRefreshed(estimate):
            state.quality = estimate
        case let .terminalGone(status):
            state.exitStatus = status  // the dashboard holds no claim to hand back
        case let .claimChanged(message):
            state.message = message
            return [.refresh]  // show the change at once, not at the next tick
        case let .refreshed(live, team):
            state.counts = live.pairs
            state.pendingByProbability = live.pendingByProbability
            state.modelVersions = live.modelVersions
            state.team = team
            state.selectedClaim = min(state.selectedClaim, max(0, team.claims.count - 1))
        case let .resize(width, height):
            state.width = width
            state.height = height
        case let .failed(message):
            state.message = message
        case let .key(key):
            let action = Action.action(for: key, on: state.keyScreen)
            if let name = state.reassigningTo {
                switch action {
                case .cancel?: state.reassigningTo = nil
                case .deleteBackward?: state.reassigningTo = String(name.dropLast())
                case .confirm?:
                    state.reassigningTo = nil
                    if let claim = state.selected, !name.isEmpty { return [.reassign(pairID: claim.pairID, to: name)] }
                case .type?:
                    if case let .character(c) = key, !c.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                        state.reassigningTo = name + String(c)
                    }
                default: break
                }
                return []
            }
            if state.view == .quality, action != .switchView, action != .quit { return [] }  // the claims are not on screen
            switch action {
            case .switchView?:
                state.view = state.view == .team ? .quality : .team
                return state.view == .quality ? [.refreshQuality] : []
            case .claimUp?: state.selectedClaim = max(0, state.selectedClaim - 1)
            case .claimDown?: state.selectedClaim = min(max(0, state.team.claims.count - 1), state.selectedClaim + 1)
            case .expireClaim?: if let claim = state.selected { return [.expire(pairID: claim.pairID)] }
            case .reassignClaim?: if state.selected != nil { state.reassigningTo = "" }
            case .quit?: state.exitStatus = 0
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
        if Widgets.isTooSmall(width: state.width, height: state.height) {
            Widgets.tooSmall(into: &buffer)
            return buffer
        }
        let counts = state.counts
        Widgets.header(title: "clerical dashboard", context: "\(state.queueName) · supervisor \(state.supervisor)", right: "",
                       into: &buffer)
        Widgets.progress(counts, width: 40, y: 2, into: &buffer)
        buffer.put(" pending \(counts.awaitingReview) · claimed \(counts.claimed) · decided \(counts.decided) · disputed \(counts.disputed) · by the model \(counts.decidedByModel)",
                   x: 0, y: 3, style: CellStyle(.label))
        var finish = " no verdicts in the last hour: no finish estimate"
        if let hours = state.team.hoursToFinish, let at = state.team.estimatedFinish {
            finish = String(format: " %d verdicts in the last hour: done in %.1f h at this pace (%@)",
                            state.team.verdictsLastHour, hours, String(at.prefix(16)).replacingOccurrences(of: "T", with: " "))
        }
        buffer.put(finish, x: 0, y: 4, style: CellStyle(.normal))
        if state.view == .quality {
            DashboardQualityView.draw(state.quality, from: 6, to: state.height - 5, into: &buffer)
            drawModelAndPrompt(state, &buffer)
            Widgets.footer(.dashboard, inactive: [.claimUp, .claimDown, .expireClaim, .reassignClaim], into: &buffer)
            return buffer
        }

        // Pending pairs by probability band, as a small histogram.
        buffer.put(" Pending by match probability", x: 0, y: 6, style: CellStyle(.label, bold: true))
        let largest = max(1, state.pendingByProbability.map(\.count).max() ?? 1)
        for (i, bin) in state.pendingByProbability.enumerated() {
            let y = 7 + i / 2, column = (i % 2) * 40
            let bar = bin.count == 0 ? 0 : max(1, bin.count * 16 / largest)
            let x = buffer.put(String(format: " %.1f–%.1f ", bin.low, bin.high), x: column, y: y, style: CellStyle(.label))
            buffer.repeatCharacter("▇", count: bar, x: column + x, y: y, style: CellStyle(.evidencePositive))
            buffer.put(" \(bin.count)", x: column + x + bar, y: y)
        }

        // Reviewers.
        var y = 13
        buffer.put(" reviewer         last hour  today  s/verdict  unsure  revealed  2nd review agrees", x: 0, y: y, style: CellStyle(.label, bold: true))
        y += 1
        let claimRows = min(state.team.claims.count, 4)
        let reviewerRows = max(1, state.height - y - claimRows - 6)
        for activity in state.team.reviewers.prefix(reviewerRows) {
            let seconds = activity.medianSecondsPerVerdict.map { String(format: "%9.1f", $0) } ?? "        –"
            let unsure = activity.unsureShare.map { String(format: "%5.0f%%", $0 * 100) } ?? "     –"
            let agreement = activity.secondReviewAgreement.map { String(format: "%.0f%% of %d", $0 * 100, activity.secondReviewed) } ?? "–"
            let name = String(activity.reviewer.prefix(16)).padding(toLength: 16, withPad: " ", startingAt: 0)
            // Masked review: the share of the reviewer's decided pairs on which anything was revealed.
            let revealed = activity.verdicts > 0 && activity.reveals > 0
                ? String(format: "%7.0f%%", 100 * Double(activity.pairsRevealed) / Double(activity.verdicts)) : "       –"
            buffer.put(" \(name) \(String(format: "%9d  %5d", activity.verdictsLastHour, activity.verdictsToday))  \(seconds)  \(unsure)  \(revealed)  \(agreement)",
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

        drawModelAndPrompt(state, &buffer)
        Widgets.footer(.dashboard, into: &buffer)
        return buffer
    }

    /// The model line, and the reassignment prompt or the last message.
    static func drawModelAndPrompt(_ state: DashboardState, _ buffer: inout ScreenBuffer) {
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
            buffer.put(" Reassign pair #\(state.selected?.pairID ?? 0) to: \(name)▏ (\(Widgets.hint(.reassigning, width: 40)))", x: 0, y: state.height - 2,
                       style: CellStyle(.note))
        } else if let message = state.message {
            buffer.put(" " + message, x: 0, y: state.height - 2, style: CellStyle(.warning))
        }
    }
}

/// Performs the dashboard's commands: reads the figures (only what changed since the last
/// look), ends and hands over claims as the supervisor.
public final class DashboardSession: ScreenSession {
    private let queue: any QueueWatch
    private let activity = TeamActivity()
    /// The figures are read once a second.
    public let tickSeconds = 1.0

    /// The dashboard of a queue file or of a queue on a server; claims are ended and handed
    /// over as the queue's account.
    public init(queue: any QueueWatch) {
        self.queue = queue
    }

    public func perform(_ command: DashboardCommand, whileCommitting: (@Sendable (DashboardEvent) -> Void)? = nil) -> DashboardEvent? {
        do throws(ClericalError) {
            switch command {
            case .refresh:
                return .refreshed(try queue.live(), team: try queue.team(activity, now: Date()))
            case .refreshQuality:
                return .qualityRefreshed(try queue.quality())
            case let .expire(pairID):
                try queue.expireClaim(pairID)
                return .claimChanged("Claim on pair #\(pairID) ended: the pair is back in the queue.")
            case let .reassign(pairID, name):
                try queue.reassignClaim(pairID, to: name)
                return .claimChanged("Pair #\(pairID) is now \(name)'s.")
            }
        } catch {
            return .failed(error.description)
        }
    }
}

/// `clerical dashboard`: the dashboard on the screen runtime.
@MainActor
public enum DashboardRunner {
    public static func run(queuePath: String) throws(ClericalError) -> Int32 {
        let queue = try QueueHandle(path: queuePath)
        defer { queue.close() }
        return try run(queue)
    }

    /// The dashboard of an open queue, on either backend.
    public static func run(_ queue: any QueueWatch) throws(ClericalError) -> Int32 {
        try queue.require(.watchDashboard)
        let theme = try Theme.load(Theme.startingName)
        let terminal = try CursesTerminal(theme: theme)
        defer { terminal.end() }
        let state = DashboardState(queueName: queue.name, supervisor: queue.account,
                                   width: terminal.size.width, height: terminal.size.height)
        return ScreenRunner.run(ScreenLoop(DashboardApp.self, state: state, session: DashboardSession(queue: queue)),
                                on: terminal, theme: theme)
    }
}
