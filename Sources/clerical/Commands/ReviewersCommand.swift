import ArgumentParser
import ClericalCore
import ClericalPostgres
import ClericalStore

struct ReviewersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviewers",
        abstract: "Register the accounts that may work on a queue, and their roles.",
        discussion: """
            A queue with no registered reviewers is open to anyone. Once reviewers exist, only \
            registered accounts may open it; supervisors manage reviewers and claims; quality \
            leads sample, adjudicate, re-estimate and export. Identity is the operating-system account.
            """,
        subcommands: [Add.self, List.self, Remove.self, Reserve.self, Unreserve.self, Mask.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an account (or change its role).")
        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "The operating-system account name (on PostgreSQL, an existing database role).") var name: String
        @Option(help: "reviewer, supervisor or quality-lead.") var role: ReviewerRole

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                if PostgresAddress.isURL(queue) {
                    let server = try PostgresQueue.open(try PostgresAddress(url: queue))
                    defer { server.close() }
                    try server.addReviewer(name, role: role)
                    print("\(name) is a \(role.title) of \(server.address), with the privileges to work it")
                    return
                }
                try Reviewers.add(queue: queue, name: name, role: role, by: try Identity.current())
                print("\(name) is a \(role.title) of \(queue)")
            }
        }
    }

    struct Mask: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Supervisors: make masked review the queue's default (on), or not (off).",
            discussion: "With it on, every clerical review session of the queue masks values as --mask does; reviewers reveal what they need with r and R, and every reveal is logged.")
        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "on or off.") var setting: MaskSetting

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                var place = queue
                if let server = try onServer(queue) {
                    defer { server.close() }
                    try server.setMasking(on: setting == .on)
                    place = "\(server.address)"
                } else {
                    try Reviewers.setMasking(queue: queue, on: setting == .on, by: try Identity.current())
                }
                print(setting == .on ? "\(place): review is masked by default" : "\(place): review shows values in full by default")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered accounts and their roles.")
        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                let reviewers: [RegisteredReviewer], reservations: [Reservation], place: String
                if let server = try onServer(queue) {
                    defer { server.close() }
                    (reviewers, reservations) = try server.reviewersAndReservations()
                    place = "\(server.address)"
                } else {
                    try Reviewers.require(.readStatus, queue: queue, account: try Identity.current())
                    (reviewers, reservations, place) = (try Reviewers.list(queue: queue), try Reservations.list(queue: queue), queue)
                }
                if reviewers.isEmpty {
                    print("\(place) has no registered reviewers: it is open to every account")
                }
                for reviewer in reviewers {
                    // Padded to a column, never cut: a long role name is still the whole name.
                    let name = reviewer.name.padding(toLength: max(20, reviewer.name.count), withPad: " ", startingAt: 0)
                    print("\(name) \(reviewer.role.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) added \(reviewer.addedAt)")
                }
                for reservation in reservations {
                    print("reserved for \(reservation.description)")
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unregister an account; its claims go back to the queue.")
        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "The account name (on PostgreSQL, the role, which loses its privileges on the queue).") var name: String

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                var place = queue
                if let server = try onServer(queue) {
                    defer { server.close() }
                    try server.removeReviewer(name)
                    place = "\(server.address)"
                } else {
                    try Reviewers.remove(queue: queue, name: name, by: try Identity.current())
                }
                print("\(name) is no longer a reviewer of \(place)")
            }
        }
    }

    struct Reserve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Supervisors: keep part of the queue for a reviewer (a probability band, or a share).",
            discussion: "Others pass the reserved part over; the reviewer meets it first. Undo with `reviewers unreserve`.")
        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "The account name.") var name: String
        @Option(help: ArgumentHelp("Pairs whose match probability lies in LOW:HIGH.", valueName: "LOW:HIGH")) var band: String?
        @Option(help: "A share of the pending pairs, in (0, 1].") var share: Double?

        func validate() throws {
            guard (band == nil) != (share == nil) else { throw ValidationError("give --band or --share, one of them") }
            if let share, !(share > 0 && share <= 1) { throw ValidationError("--share must lie in (0, 1]") }
        }

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                let parsed = try band.map { text throws(ClericalError) in try ReviewBand.parse(probability: text) }
                if let server = try onServer(queue) {
                    defer { server.close() }
                    try server.reserve(for: name, band: parsed, share: share)
                } else {
                    try Reservations.add(queue: queue, reviewer: name, band: parsed, share: share, by: try Identity.current())
                }
                print("Reserved for \(name): " + (band.map { "pairs with match probability \($0)" } ?? "\(share! * 100)% of the pairs"))
            }
        }
    }

    struct Unreserve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Supervisors: end every reservation of a reviewer.")
        @Argument(help: "The queue file, or a postgresql:// URL.") var queue: String
        @Argument(help: "The account name.") var name: String

        func run() throws {
            try reportingErrors { () throws(ClericalError) in
                if let server = try onServer(queue) {
                    defer { server.close() }
                    try server.unreserve(name)
                } else {
                    try Reservations.remove(queue: queue, reviewer: name, by: try Identity.current())
                }
                print("Nothing is reserved for \(name) any more")
            }
        }
    }
}

