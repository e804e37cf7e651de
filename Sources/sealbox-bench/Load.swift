import Foundation
import NIOPosix
import SealboxAPI
import SealboxClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One request of a workload, sent as is to sealboxd and to the baseline.
struct RequestSpec: Sendable {
    var method: SealboxMethod
    var path: String
    var headers: [(String, String)]
    var body: [UInt8]
}

/// Throughput and latency of one measured run.
struct Stats: Codable, Sendable {
    var requests: Int
    var requestsPerSecond: Double
    var p50Micros: Double
    var p99Micros: Double
    var p999Micros: Double
    /// Server CPU time (user + system) per request, warm-up included; the steadiest cost figure on a
    /// shared machine, where req/s drifts with whatever else runs.
    var cpuMicrosPerRequest: Double = 0
}

/// Drives keep-alive connections, one request in flight each, for a fixed time after a warm-up.
enum LoadRunner {
    static func measure(
        endpoint: SealboxEndpoint,
        connections: Int,
        warmup: Double,
        duration: Double,
        group: MultiThreadedEventLoopGroup,
        extraHeaders: [(String, String)] = [],
        cpuSeconds: @Sendable () -> Double? = { nil },
        request: @escaping @Sendable (Int) -> RequestSpec
    ) async throws -> Stats {
        try await measure(
            endpoint: endpoint, connections: connections, warmup: warmup, duration: duration, group: group,
            cpuSeconds: cpuSeconds
        ) { connection, index in
            let spec = request(index)
            let response = try await connection.request(
                spec.method, spec.path, headers: spec.headers + extraHeaders, body: spec.body)
            guard (200..<300).contains(response.status) else {
                throw BenchError(
                    description:
                        "\(spec.path) answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))"
                )
            }
        }
    }

    /// Runs `operation` back to back on each connection; each call is one sample.
    static func measure(
        endpoint: SealboxEndpoint,
        connections: Int,
        warmup: Double,
        duration: Double,
        group: MultiThreadedEventLoopGroup,
        cpuSeconds: @Sendable () -> Double? = { nil },
        operation: @escaping @Sendable (SealboxConnection, Int) async throws -> Void
    ) async throws -> Stats {
        let cpuBefore = cpuSeconds()
        let measureFrom = ContinuousClock.now + .milliseconds(Int(warmup * 1000))
        let end = measureFrom + .milliseconds(Int(duration * 1000))
        let (samples, served) = try await withThrowingTaskGroup(of: ([Int64], Int).self) { tasks in
            for worker in 0..<connections {
                tasks.addTask {
                    let connection = try await SealboxConnection.connect(to: endpoint, group: group)
                    var latencies: [Int64] = []
                    latencies.reserveCapacity(100_000)
                    var index = worker
                    var served = 0
                    while true {
                        let sent = ContinuousClock.now
                        if sent >= end { break }
                        try await operation(connection, index)
                        index += connections
                        served += 1
                        if sent >= measureFrom {
                            let elapsed = ContinuousClock.now - sent
                            latencies.append(
                                elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds
                                    / 1_000_000_000)
                        }
                    }
                    await connection.close()
                    return (latencies, served)
                }
            }
            var all: [Int64] = []
            var served = 0
            for try await (part, count) in tasks {
                all += part
                served += count
            }
            return (all.sorted(), served)
        }
        let cpuSpent = cpuSeconds().map { $0 - cpuBefore! }
        func percentile(_ p: Double) -> Double {
            samples.isEmpty ? 0 : Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000
        }
        return Stats(
            requests: samples.count, requestsPerSecond: Double(samples.count) / duration, p50Micros: percentile(0.5),
            p99Micros: percentile(0.99), p999Micros: percentile(0.999),
            cpuMicrosPerRequest: cpuSpent.map { $0 * 1_000_000 / Double(max(served, 1)) } ?? 0)
    }
}

/// A child process that prints a JSON ready line on stdout (sealboxd, sealbox-baseline).
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let stdoutPath: String
    private static let started = Mutex<[ChildProcess]>([])

    /// Stops every child still running, for error paths.
    static func stopAll() {
        for child in started.withLock({ $0 }) { child.stop() }
    }

    init(_ executable: String, _ arguments: [String], scratch: String) throws {
        stdoutPath = scratch + "/\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = FileHandle.nullDevice
        try process.run()
        Self.started.withLock { $0.append(self) }
    }

    /// The first stdout line, parsed, once it is complete.
    func ready(timeout: Double = 30) throws -> DaemonReadyLine {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            if let newline = text.firstIndex(of: "\n"),
                let line = try? JSONDecoder().decode(DaemonReadyLine.self, from: Data(text[..<newline].utf8))
            {
                return line
            }
            guard process.isRunning else { break }
            usleep(10_000)
        }
        throw BenchError(description: "\(process.executableURL!.path) did not become ready")
    }

    /// Open file descriptors, from /proc.
    var openFileCount: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd")) ?? []).count
    }

    /// Resident memory in KiB, from /proc.
    var rssKiB: Int { statusKiB("VmRSS:") }

    /// The most resident memory since start or since ``resetPeakRSS()``, in KiB.
    var peakRSSKiB: Int { statusKiB("VmHWM:") }

    /// Starts ``peakRSSKiB`` again from the current RSS (`/proc/<pid>/clear_refs`).
    func resetPeakRSS() {
        try? "5".write(toFile: "/proc/\(process.processIdentifier)/clear_refs", atomically: false, encoding: .utf8)
    }

    private func statusKiB(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field) } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// User plus system CPU time so far, from /proc/<pid>/stat.
    var cpuSeconds: Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name; utime and stime are fields 14 and 15 of the whole line.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM, then SIGKILL after five seconds; reaped with waitpid, because Foundation's
    /// `waitUntilExit` needs a run loop that async code does not spin.
    func stop() {
        let pid = process.processIdentifier
        guard pid > 0, kill(pid, 0) == 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<500 {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    deinit { stop() }
}
