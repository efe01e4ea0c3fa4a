import ArgumentParser
import ClericalCore
import ClericalStore

// Options that take one value of a list are the project's own enums: --help lists their
// values and the parser refuses any other, with no hand-written check.
extension ModelRequest: ExpressibleByArgument {}
extension AuditStratification: ExpressibleByArgument {}
extension AuditAllocation: ExpressibleByArgument {}
extension SimulationPlan.Order: ExpressibleByArgument {}
extension SampleRequest.Stratum: ExpressibleByArgument {}
extension ReviewerRole: ExpressibleByArgument {}

/// `clerical reviewers mask QUEUE on|off`.
enum MaskSetting: String, CaseIterable, ExpressibleByArgument {
    case on, off
}
