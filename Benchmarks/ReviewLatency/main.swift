import ClericalCore
import ClericalStore
import ClericalTUI
import Foundation
import GRDB

// clerical-review-bench QUEUE [VERDICTS]
//
// In-process, on a copy of a large queue: the time from a verdict key to the verdict
// committed and the next pair drawn into the screen buffer, against one bare SQLite commit
// with synchronous=FULL on the same disk (the floor), interleaved in the same run. Also the
// time from opening the queue to the first pair drawn, and peak resident memory.

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: clerical-review-bench QUEUE [VERDICTS]\n".utf8))
    exit(64)
}
let queuePath = arguments[1]
if ProcessInfo.processInfo.environment["CLERICAL_BENCH_PIECES"] == "1" {
    try HandRolledPieces.measure(queue: queuePath)
    exit(0)
}
let verdicts = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000

func milliseconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func memoryKiB(_ field: String) -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
}

do {
    // Opening the queue to the first pair drawn.
    let openStart = DispatchTime.now()
    let queue = try ReviewQueue(path: queuePath, reviewer: "bench")
    let openedMilliseconds = milliseconds(since: openStart)
    // The review screen's own loop, as `clerical review` runs it, without the terminal.
    let loop = ScreenLoop(ReviewApp.self, state: ReviewState(queueName: "bench.db", reviewer: "bench", width: 120, height: 40, blind: false,
                                             themeName: "default"),
                          session: ReviewSession(queue: queue))
    loop.start()
    let claimedMilliseconds = milliseconds(since: openStart)
    var screen = loop.frame()
    let openMilliseconds = milliseconds(since: openStart)
    guard loop.state.live != nil else { throw ClericalError(.dataError, "the queue has nothing pending to review") }

    // The floor: a bare commit, synchronous=FULL, WAL, on the same disk.
    let floorPath = URL(fileURLWithPath: queuePath).deletingLastPathComponent().appendingPathComponent("floor.db").path
    try? FileManager.default.removeItem(atPath: floorPath)
    var configuration = Configuration()
    configuration.prepareDatabase { try $0.execute(sql: "PRAGMA synchronous = FULL") }
    let floor = try DatabaseQueue(path: floorPath, configuration: configuration)
    try floor.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER, y TEXT)") }

    var verdictTimes: [Double] = [], floorTimes: [Double] = [], storeTimes: [Double] = [], drawTimes: [Double] = []
    let keys: [Character] = ["m", "n", "u", "m"]
    let pagesBefore = queue.pagesWritten, floorPagesBefore = floor.inDatabase(ReviewQueue.pagesWritten)
    for i in 0..<verdicts where loop.state.live != nil {
        let floorStart = DispatchTime.now()
        try floor.write { try $0.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [i, "verdict"]) }
        floorTimes.append(milliseconds(since: floorStart))

        let start = DispatchTime.now()
        loop.handle(.key(.character(keys[i % keys.count])))
        storeTimes.append(milliseconds(since: start))
        let drawStart = DispatchTime.now()
        screen = loop.frame()
        drawTimes.append(milliseconds(since: drawStart))
        verdictTimes.append(milliseconds(since: start))
        if case .warning = loop.state.message?.role { throw ClericalError(.ioError, loop.state.message!.text) }
    }
    _ = screen
    let pagesPerVerdict = Double(queue.pagesWritten - pagesBefore) / Double(max(1, verdictTimes.count))
    let floorPagesPerCommit = Double(floor.inDatabase(ReviewQueue.pagesWritten) - floorPagesBefore) / Double(max(1, floorTimes.count))
    let counts = try queue.counts()
    queue.close()
    try? floor.close()
    try? FileManager.default.removeItem(atPath: floorPath)

    // Drawing alone, many times over the same state: where the frame's time goes.
    if ProcessInfo.processInfo.environment["CLERICAL_BENCH_DRAW_ONLY"] != nil {
        let drawStart = DispatchTime.now()
        for _ in 0..<20_000 { screen = ReviewView.render(loop.state) }
        print(String(format: "drawing alone: %.1f µs a frame", milliseconds(since: drawStart) * 1000 / 20_000))
    }
    let medianVerdict = percentile(verdictTimes, 0.5), medianFloor = percentile(floorTimes, 0.5)
    print(String(format: "queue: %d pairs, %d pending, %d decided", counts.total, counts.awaitingReview + counts.claimed, counts.decided))
    print(String(format: "open to first pair drawn: %.1f ms (queue open %.1f ms, first pair claimed %.1f ms)",
                 openMilliseconds, openedMilliseconds, claimedMilliseconds))
    print(String(format: "verdict → committed → next pair drawn (n=%d): median %.2f ms, p99 %.2f ms, max %.2f ms",
                 verdictTimes.count, medianVerdict, percentile(verdictTimes, 0.99), verdictTimes.max() ?? 0))
    print(String(format: "  of which: the key handled (verdict committed, next pair claimed), median %.2f ms; the frame taken, median %.2f ms",
                 percentile(storeTimes, 0.5), percentile(drawTimes, 0.5)))
    print("  frames drawn on the other core while the commit waited for the disk: \(loop.framesDrawnAhead) of \(verdictTimes.count)")
    print(String(format: "floor, one bare commit (synchronous=FULL): median %.2f ms, p99 %.2f ms",
                 medianFloor, percentile(floorTimes, 0.99)))
    print(String(format: "median ratio to the floor: %.2f×", medianVerdict / medianFloor))
    print(String(format: "pages written to the log: %.1f a verdict, %.1f a floor commit",
                 pagesPerVerdict, floorPagesPerCommit))
    print("resident memory: peak \(memoryKiB("VmHWM") / 1024) MB, now \(memoryKiB("VmRSS") / 1024) MB")
} catch {
    FileHandle.standardError.write(Data("clerical-review-bench: \(error)\n".utf8))
    exit(1)
}
