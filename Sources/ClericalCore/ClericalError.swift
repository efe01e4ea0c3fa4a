/// Exit codes from sysexits(3): the contract between `clerical` and the scripts that run it.
public enum ExitStatus: Int32, Sendable {
    case usage = 64
    case dataError = 65
    case noInput = 66
    /// A server that cannot be reached (PostgreSQL queues).
    case unavailable = 69
    case cannotCreate = 73
    case ioError = 74
    case tryAgain = 75
    case notPermitted = 77
    case configuration = 78
}

/// Where in an input file something went wrong; printed as `file:line:column:`.
public struct InputLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?

    public init(file: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let column { text += ":\(column)" }
        return text
    }
}

/// The one error type a command prints: a message for a person and the exit status for a script.
///
///     throw ClericalError(.dataError, "gamma_surname: 7 is not a level of the model",
///                         at: InputLocation(file: "predictions.csv", line: 12, column: 40))
public struct ClericalError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String
    public var location: InputLocation?

    public init(_ status: ExitStatus, _ message: String, at location: InputLocation? = nil) {
        self.status = status
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}
