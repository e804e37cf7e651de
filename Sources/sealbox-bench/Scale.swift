import ArgumentParser
import Foundation
import NIOPosix
import SealboxClient

/// Scale and memory: a large store, many leases, start-up time and RSS growth under load.
struct Scale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loads parameters and leases, then reports store size, start-up time, RSS and its growth.",
        discussion: "Example: sealbox-bench scale --sealboxd .build/release/sealboxd --parameters 100000 --leases 10000"
    )

    @Option(help: "The sealboxd binary.")
    var sealboxd: String

    @Option(help: "Parameters to load, half of them SecureString.")
    var parameters = 100_000

    @Option(help: "Active leases to hold.")
    var leases = 10_000

    @Option(help: "Requests for the RSS-growth run (lease redeems over 32 connections).")
    var requests = 1_000_000

    static let startCount = 5

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    func run() async throws {
        let scratch = NSTemporaryDirectory() + "sealbox-scale-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch + "/data", withIntermediateDirectories: true)
        defer {
            ChildProcess.stopAll()
            try? FileManager.default.removeItem(atPath: scratch)
        }
        let socket = scratch + "/sealbox.sock"
        let arguments = ["--data-dir", scratch + "/data", "--listen", "none", "--socket", socket]
        var daemon = try ChildProcess(sealboxd, arguments, scratch: scratch)
        _ = try daemon.ready()
        let seeding = ContinuousClock.now
        try await Seed.seed(socket: socket, count: parameters, connections: 8)
        say("loaded \(parameters) parameters in \(ContinuousClock.now - seeding)")
        daemon.stop()

        // Start again on the loaded store: time to a healthy answer. Five starts, because one start on
        // a shared machine moves by a third from run to run; the last one stays up for what follows.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var starts: [Duration] = []
        for attempt in 0..<Self.startCount {
            if attempt > 0 { daemon.stop() }
            let started = ContinuousClock.now
            daemon = try ChildProcess(sealboxd, arguments, scratch: scratch)
            var healthy: Duration = .zero
            while healthy == .zero {
                if let connection = try? await SealboxConnection.connect(to: .unixSocket(path: socket), group: group),
                    let response = try? await connection.request(.GET, "/health"), response.status == 200
                {
                    healthy = ContinuousClock.now - started
                    await connection.close()
                } else {
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            starts.append(healthy)
        }
        starts.sort()
        let storeBytes = try FileManager.default.contentsOfDirectory(atPath: scratch + "/data")
            .filter { $0.hasPrefix("sealbox.db") }
            .reduce(0) { total, file in
                total
                    + ((try? FileManager.default.attributesOfItem(atPath: scratch + "/data/" + file)[.size] as? Int)
                        ?? 0)
            }
        say(
            String(format: "store size              %8.1f MiB (sealbox.db and its WAL)", Double(storeBytes) / 1_048_576)
        )
        say(
            String(
                format: "start to healthy        %8.3f s median of %d starts (%.3f to %.3f)",
                Self.seconds(starts[starts.count / 2]), starts.count, Self.seconds(starts[0]),
                Self.seconds(starts[starts.count - 1])))
        say(String(format: "RSS after start         %8.1f MiB", Double(daemon.rssKiB) / 1024))

        let setup = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        var leaseIDs: [String] = []
        for index in 0..<leases {
            let lease = try await callNative(
                setup, .POST, "/v1/leases",
                ["name": "/seed/\((index % parameters) / 1000)/p\(index % parameters)", "ttlSeconds": 3600])
            leaseIDs.append(lease["leaseId"] as! String)
        }
        await setup.close()
        say(String(format: "RSS with %d leases   %8.1f MiB", leases, Double(daemon.rssKiB) / 1024))

        let byPath = try await LoadRunner.measure(
            endpoint: .unixSocket(path: socket), connections: 1, warmup: 0.5, duration: 3, group: group
        ) { connection, _ in
            var token: String? = nil
            repeat {
                var request: [String: Any] = [
                    "Path": "/seed/7", "Recursive": true, "WithDecryption": true, "MaxResults": 10,
                ]
                if let token { request["NextToken"] = token }
                token = try await call(connection, "AmazonSSM.GetParametersByPath", request)["NextToken"] as? String
            } while token != nil
        }
        say(
            String(
                format: "GetParametersByPath, 1,000-parameter subtree (100 pages): p50 %.1f ms, p99 %.1f ms",
                byPath.p50Micros / 1000, byPath.p99Micros / 1000))

        // RSS growth: redeem the held leases round-robin until `requests` are done.
        let before = daemon.rssKiB
        let ids = leaseIDs
        var done = 0
        while done < requests {
            let stats = try await LoadRunner.measure(
                endpoint: .unixSocket(path: socket), connections: 32, warmup: 0, duration: 5, group: group
            ) { connection, index in
                let response = try await connection.request(.POST, "/v1/leases/\(ids[index % ids.count])/redeem")
                guard response.status == 200 else {
                    throw BenchError(description: "redeem answered \(response.status)")
                }
            }
            done += stats.requests
        }
        let after = daemon.rssKiB
        say(
            String(
                format: "RSS over %d requests: %.1f -> %.1f MiB (%+.1f%%)", done, Double(before) / 1024,
                Double(after) / 1024,
                Double(after - before) * 100 / Double(max(before, 1))))
        daemon.stop()
        try await ephemeralRecord(scratch: scratch, group: group)
        try await group.shutdownGracefully()
    }

    /// An ephemeral daemon (what test suites start) records every call, up to 100,000: redeems once
    /// that record is full must go as fast as on a fresh daemon.
    private func ephemeralRecord(scratch: String, group: MultiThreadedEventLoopGroup) async throws {
        let socket = scratch + "/ephemeral.sock"
        try FileManager.default.createDirectory(atPath: scratch + "/ephemeral", withIntermediateDirectories: true)
        let daemon = try ChildProcess(
            sealboxd, ["--ephemeral", "--data-dir", scratch + "/ephemeral", "--listen", "none", "--socket", socket],
            scratch: scratch)
        defer { daemon.stop() }
        _ = try daemon.ready()
        let setup = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        try await putBenchSecret(setup)
        let lease = try await callNative(setup, .POST, "/v1/leases", ["name": "/sealbox-bench/secret"])
        await setup.close()
        let path = "/v1/leases/\(lease["leaseId"] as! String)/redeem"
        func window() async throws -> Stats {
            try await LoadRunner.measure(
                endpoint: .unixSocket(path: socket), connections: 32, warmup: 0, duration: 3, group: group
            ) { connection, _ in
                let response = try await connection.request(.POST, path)
                guard response.status == 200 else {
                    throw BenchError(description: "redeem answered \(response.status)")
                }
            }
        }
        let fresh = try await window()
        var calls = fresh.requests + 2
        var full = fresh
        while calls < 150_000 {
            full = try await window()
            calls += full.requests
        }
        say(
            String(
                format: "ephemeral daemon, redeem: %.0f req/s fresh, %.0f req/s after %d calls (record full): %.2f",
                fresh.requestsPerSecond, full.requestsPerSecond, calls, full.requestsPerSecond / fresh.requestsPerSecond
            ))
        try await readFullRecord(daemon, socket: socket, group: group)
    }

    /// A test suite reads the whole record with `GET /v1/test/calls`: how long that takes, and what
    /// it costs the daemon's memory while it lasts and after.
    private func readFullRecord(
        _ daemon: ChildProcess, socket: String, group: MultiThreadedEventLoopGroup
    ) async throws {
        let reader = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        let before = daemon.rssKiB
        daemon.resetPeakRSS()
        let started = ContinuousClock.now
        let response = try await reader.request(.GET, "/v1/test/calls")
        let elapsed = ContinuousClock.now - started
        await reader.close()
        guard response.status == 200,
            let list = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let recorded = list["calls"] as? [Any]
        else { throw BenchError(description: "GET /v1/test/calls answered \(response.status)") }
        say(
            String(
                format:
                    "ephemeral daemon, GET /v1/test/calls: %d calls, %.1f MiB in %.2f s; RSS %.1f MiB before, %.1f at the peak, %.1f after",
                recorded.count, Double(response.body.count) / 1_048_576,
                Self.seconds(elapsed),
                Double(before) / 1024, Double(daemon.peakRSSKiB) / 1024, Double(daemon.rssKiB) / 1024))
    }
}
