import Foundation
import XCTest

/// The built binary in a real terminal: a detached tmux session on a private socket,
/// driven with send-keys and read with capture-pane.
final class TmuxSession {
    let socket = "clerical-test-\(UUID().uuidString.prefix(8))"
    let name = "review"

    /// Starts `command` in a `width`×`height` terminal. The shell prints EXIT=<status> after it.
    init(_ command: String, width: Int = 120, height: Int = 40, environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            throw XCTSkip("tmux is not installed (apt-get install tmux); .ci/run installs it")
        }
        let exports = environment.map { "export \($0.key)='\($0.value)';" }.joined(separator: " ")
        let script = "\(exports) \(command); echo EXIT=$?; sleep 120"
        // Through system(): Foundation's Process would wait for ever on the daemonised server.
        let status = system("LANG=C.UTF-8 /usr/bin/tmux -L \(socket) -f /dev/null new-session -d -s \(name) -x \(width) -y \(height) \(Self.quoted(script)) </dev/null >/dev/null 2>&1")
        guard status == 0 else { throw XCTSkip("tmux could not start a session (status \(status))") }
    }

    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    deinit { _ = try? tmux(["kill-server"]) }

    /// Runs a tmux client against this session's server.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        process.arguments = ["-L", socket] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LANG"] = "C.UTF-8"
        environment.removeValue(forKey: "TMUX")
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func send(_ keys: String...) { _ = try? tmux(["send-keys", "-t", name] + keys) }
    func type(_ text: String) { _ = try? tmux(["send-keys", "-t", name, "-l", text]) }

    func capture(escapes: Bool = false) -> String {
        (try? tmux(["capture-pane", "-p", "-t", name] + (escapes ? ["-e"] : []))) ?? ""
    }

    /// Sends a signal (TERM, HUP, KILL, …) to the process running in the pane.
    func signal(_ name: String, to processName: String = "clerical review") throws {
        let kill = Process()
        kill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
        kill.arguments = ["-\(name)", "-P", paneValue("#{pane_pid}"), "-f", processName]
        try kill.run()
        kill.waitUntilExit()
    }

    func resize(width: Int, height: Int) { _ = try? tmux(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"]) }

    func paneValue(_ format: String) -> String {
        ((try? tmux(["display-message", "-p", "-t", name, format])) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits until the screen shows `text`; fails the test with the screen if it never does.
    @discardableResult
    func waitFor(_ text: String, timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if capture().contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("the screen never showed «\(text)»:\n\(capture())", file: file, line: line)
        return false
    }
}

extension TmuxSession {
    /// Ends the session as a dropped SSH connection or a closed window does: the terminal goes away.
    func hangUp() { _ = try? tmux(["kill-session", "-t", name]) }
}

/// The ids of running processes whose command line contains `text`.
func processes(matching text: String) -> [Int32] {
    let pgrep = Process()
    pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
    pgrep.arguments = ["-f", text]
    let out = Pipe()
    pgrep.standardOutput = out
    guard (try? pgrep.run()) != nil else { return [] }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    pgrep.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
        .filter { $0 != ProcessInfo.processInfo.processIdentifier }
}

/// Waits up to `seconds` for no process to match `text`; true when none is left.
func waitUntilGone(_ text: String, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if processes(matching: text).isEmpty { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return processes(matching: text).isEmpty
}
