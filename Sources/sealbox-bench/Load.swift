import Foundation
import NIOHTTP1
import NIOPosix
import SealboxClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One request of a workload, sent as is to sealboxd and to the baseline.
struct RequestSpec: Sendable {
    var method: HTTPMethod
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
        request: @escaping @Sendable (Int) -> RequestSpec
    ) async throws -> Stats {
        try await measure(
            endpoint: endpoint, connections: connections, warmup: warmup, duration: duration, group: group
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
        operation: @escaping @Sendable (SealboxConnection, Int) async throws -> Void
    ) async throws -> Stats {
        let measureFrom = ContinuousClock.now + .milliseconds(Int(warmup * 1000))
        let end = measureFrom + .milliseconds(Int(duration * 1000))
        let samples = try await withThrowingTaskGroup(of: [Int64].self) { tasks in
            for worker in 0..<connections {
                tasks.addTask {
                    let connection = try await SealboxConnection.connect(to: endpoint, group: group)
                    var latencies: [Int64] = []
                    latencies.reserveCapacity(100_000)
                    var index = worker
                    while true {
                        let sent = ContinuousClock.now
                        if sent >= end { break }
                        try await operation(connection, index)
                        index += connections
                        if sent >= measureFrom {
                            let elapsed = ContinuousClock.now - sent
                            latencies.append(
                                elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds
                                    / 1_000_000_000)
                        }
                    }
                    await connection.close()
                    return latencies
                }
            }
            var all: [Int64] = []
            for try await part in tasks { all += part }
            return all.sorted()
        }
        func percentile(_ p: Double) -> Double {
            samples.isEmpty ? 0 : Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000
        }
        return Stats(
            requests: samples.count, requestsPerSecond: Double(samples.count) / duration, p50Micros: percentile(0.5),
            p99Micros: percentile(0.99), p999Micros: percentile(0.999))
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
    func ready(timeout: Double = 30) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            if let newline = text.firstIndex(of: "\n"),
                let line = try JSONSerialization.jsonObject(with: Data(text[..<newline].utf8)) as? [String: Any]
            {
                return line
            }
            guard process.isRunning else { break }
            usleep(10_000)
        }
        throw BenchError(description: "\(process.executableURL!.path) did not become ready")
    }

    /// Resident memory in KiB, from /proc.
    var rssKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
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
