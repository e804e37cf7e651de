import ArgumentParser
import Foundation
import NIOPosix
import SealboxAPI
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

    @Option(help: "Calls to make on an ephemeral daemon whose call record holds 100,000; 0 skips that part.")
    var recordCalls = 150_000

    @Option(help: "Secrets Manager secrets to load into a daemon of their own; 0 skips that part.")
    var secrets = 10_000

    @Option(help: "Versions of each secret: AWSCURRENT, AWSPREVIOUS, then versions without a label.")
    var secretVersions = 3

    @Option(help: "Where to write the figures as JSON (`sealbox-bench report` reads them).")
    var json: String?

    /// What a scale run measured, as `--json` writes it.
    struct Figures: Codable {
        var parameters: Int
        var leases: Int
        var storeBytes: Int
        /// Start to a healthy `/health` answer on the loaded store: the median start, and the range.
        var startSeconds: Double
        var startRangeSeconds: [Double]
        var rssAfterStartKiB: Int
        var rssWithLeasesKiB: Int
        /// GetParametersByPath over one subtree, every page: its size, and the latency of reading it all.
        var byPathParameters: Int
        var byPathP50Micros: Double
        var byPathP99Micros: Double
        /// RSS before and after the growth run, and the requests it made.
        var growthRequests: Int
        var rssBeforeGrowthKiB: Int
        var rssAfterGrowthKiB: Int
        var ephemeral: Ephemeral?
        var secrets: Secrets?

        /// A daemon holding only Secrets Manager secrets, measured as the parameter store is.
        struct Secrets: Codable {
            var secrets: Int
            var versionsEach: Int
            var storeBytes: Int
            var startSeconds: Double
            /// A daemon on an empty store, for comparison.
            var rssEmptyKiB: Int
            var rssAfterStartKiB: Int
        }

        /// An ephemeral daemon whose call record filled up.
        struct Ephemeral: Codable {
            var calls: Int
            var freshRequestsPerSecond: Double
            var fullRequestsPerSecond: Double
            var recordedCalls: Int
            var recordBytes: Int
            var recordReadSeconds: Double
            var rssBeforeReadKiB: Int
            var rssPeakKiB: Int
            var rssAfterReadKiB: Int
        }

        /// RSS growth over the growth run, in percent.
        var growthPercent: Double {
            Double(rssAfterGrowthKiB - rssBeforeGrowthKiB) * 100 / Double(max(rssBeforeGrowthKiB, 1))
        }
    }

    static let startCount = 5

    /// How long after `started` the daemon on `socket` first answers `/health` with 200.
    static func untilHealthy(
        _ socket: String, group: MultiThreadedEventLoopGroup, since started: ContinuousClock.Instant
    )
        async throws -> Duration
    {
        while true {
            if let connection = try? await SealboxConnection.connect(to: .unixSocket(path: socket), group: group),
                let response = try? await connection.request(.get, NativePath.health), response.status == 200
            {
                let healthy = ContinuousClock.now - started
                await connection.close()
                return healthy
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

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
            let healthy = try await Self.untilHealthy(socket, group: group, since: started)
            starts.append(healthy)
        }
        starts.sort()
        let startSeconds = Self.seconds(starts[starts.count / 2])
        let startRange = [Self.seconds(starts[0]), Self.seconds(starts[starts.count - 1])]
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
                format: "start to healthy        %8.3f s median of %d starts (%.3f to %.3f)", startSeconds,
                starts.count, startRange[0], startRange[1]))
        let rssAfterStart = daemon.rssKiB
        say(String(format: "RSS after start         %8.1f MiB", Double(rssAfterStart) / 1024))

        let setup = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        var leaseIDs: [String] = []
        for index in 0..<leases {
            let lease = try await createLease(
                setup,
                CreateLeaseRequest(
                    name: "/seed/\((index % parameters) / 1000)/p\(index % parameters)", ttlSeconds: 3600))
            leaseIDs.append(lease.leaseId)
        }
        await setup.close()
        let rssWithLeases = daemon.rssKiB
        say(String(format: "RSS with %d leases   %8.1f MiB", leases, Double(rssWithLeases) / 1024))

        // The seed puts 1,000 parameters under each /seed/N; a smaller run reads the last subtree it made.
        let subtree = "/seed/\(min(7, max(parameters - 1, 0) / 1000))"
        let counter = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        let (subtreeSize, pages) = try await Self.readSubtree(subtree, over: counter)
        await counter.close()
        let byPath = try await LoadRunner.measure(
            endpoint: .unixSocket(path: socket), connections: 1, warmup: 0.5, duration: 3, group: group
        ) { connection, _ in
            _ = try await Self.readSubtree(subtree, over: connection)
        }
        say(
            String(
                format: "GetParametersByPath, %d-parameter subtree (%d pages): p50 %.1f ms, p99 %.1f ms", subtreeSize,
                pages, byPath.p50Micros / 1000, byPath.p99Micros / 1000))

        // RSS growth: redeem the held leases round-robin until `requests` are done.
        let before = daemon.rssKiB
        let ids = leaseIDs
        var done = 0
        while done < requests {
            let stats = try await LoadRunner.measure(
                endpoint: .unixSocket(path: socket), connections: 32, warmup: 0, duration: 5, group: group
            ) { connection, index in
                let response = try await connection.request(.post, NativePath.redeem(ids[index % ids.count]))
                guard response.status == 200 else {
                    throw BenchError(description: "redeem answered \(response.status)")
                }
            }
            done += stats.requests
        }
        let after = daemon.rssKiB
        daemon.stop()
        var figures = Figures(
            parameters: parameters, leases: leases, storeBytes: storeBytes, startSeconds: startSeconds,
            startRangeSeconds: startRange, rssAfterStartKiB: rssAfterStart, rssWithLeasesKiB: rssWithLeases,
            byPathParameters: subtreeSize, byPathP50Micros: byPath.p50Micros, byPathP99Micros: byPath.p99Micros,
            growthRequests: done, rssBeforeGrowthKiB: before, rssAfterGrowthKiB: after)
        say(
            String(
                format: "RSS over %d requests: %.1f -> %.1f MiB (%+.1f%%)", done, Double(before) / 1024,
                Double(after) / 1024, figures.growthPercent))
        if recordCalls > 0 { figures.ephemeral = try await ephemeralRecord(scratch: scratch, group: group) }
        if secrets > 0 { figures.secrets = try await secretsScale(scratch: scratch, group: group) }
        try await group.shutdownGracefully()
        if let json { try writeJSON(figures, to: json) }
    }

    /// The size of the store and the daemon's memory with `secrets` secrets of `secretVersions`
    /// versions each, loaded through the API and read back from the store at a restart.
    private func secretsScale(scratch: String, group: MultiThreadedEventLoopGroup) async throws -> Figures.Secrets {
        let directory = scratch + "/secrets"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let socket = directory + "/sealbox.sock"
        let arguments = ["--data-dir", directory + "/data", "--listen", "none", "--socket", socket]
        var daemon = try ChildProcess(sealboxd, arguments, scratch: scratch)
        _ = try daemon.ready()
        let rssEmpty = daemon.rssKiB
        let seeding = ContinuousClock.now
        let (count, versions) = (secrets, max(secretVersions, 1))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for worker in 0..<8 {
                tasks.addTask {
                    let connection = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
                    for index in stride(from: worker, to: count, by: 8) {
                        let name = "seed/\(index / 1000)/s\(index)"
                        let value = #"{"user":"app","password":"value-\#(index)-"# + String(repeating: "x", count: 24)
                        try await call(
                            connection, "secretsmanager.CreateSecret", ["Name": name, "SecretString": value])
                        for version in 1..<versions {
                            try await call(
                                connection, "secretsmanager.PutSecretValue",
                                ["SecretId": name, "SecretString": value + "-\(version)"])
                        }
                    }
                    await connection.close()
                }
            }
            try await tasks.waitForAll()
        }
        say("loaded \(count) secrets of \(versions) versions in \(ContinuousClock.now - seeding)")
        daemon.stop()
        let started = ContinuousClock.now
        daemon = try ChildProcess(sealboxd, arguments, scratch: scratch)
        defer { daemon.stop() }
        let healthy = try await Self.untilHealthy(socket, group: group, since: started)
        let storeBytes = try FileManager.default.contentsOfDirectory(atPath: directory + "/data")
            .filter { $0.hasPrefix("sealbox.db") }
            .reduce(0) { total, file in
                total
                    + ((try? FileManager.default.attributesOfItem(atPath: directory + "/data/" + file)[.size] as? Int)
                        ?? 0)
            }
        let figures = Figures.Secrets(
            secrets: count, versionsEach: versions, storeBytes: storeBytes, startSeconds: Self.seconds(healthy),
            rssEmptyKiB: rssEmpty, rssAfterStartKiB: daemon.rssKiB)
        say(
            String(
                format: "%d secrets x %d versions: store %.1f MiB, start to healthy %.3f s, RSS %.1f MiB "
                    + "(%.1f MiB empty)", count, versions, Double(storeBytes) / 1_048_576, figures.startSeconds,
                Double(figures.rssAfterStartKiB) / 1024, Double(rssEmpty) / 1024))
        return figures
    }

    /// Reads every page of a subtree, recursively and decrypted, ten parameters a page.
    /// - Returns: the parameters read and the pages they came in.
    static func readSubtree(_ path: String, over connection: SealboxConnection) async throws -> (Int, Int) {
        var (count, pages) = (0, 0)
        var token: String? = nil
        repeat {
            var request: [String: Any] = ["Path": path, "Recursive": true, "WithDecryption": true, "MaxResults": 10]
            if let token { request["NextToken"] = token }
            let page = try await call(connection, "AmazonSSM.GetParametersByPath", request)
            count += (page["Parameters"] as? [Any])?.count ?? 0
            pages += 1
            token = page["NextToken"] as? String
        } while token != nil
        return (count, pages)
    }

    /// An ephemeral daemon (what test suites start) records every call, up to 100,000: redeems once
    /// that record is full must go as fast as on a fresh daemon.
    private func ephemeralRecord(
        scratch: String, group: MultiThreadedEventLoopGroup
    ) async throws -> Figures.Ephemeral {
        let socket = scratch + "/ephemeral.sock"
        try FileManager.default.createDirectory(atPath: scratch + "/ephemeral", withIntermediateDirectories: true)
        let daemon = try ChildProcess(
            sealboxd, ["--ephemeral", "--data-dir", scratch + "/ephemeral", "--listen", "none", "--socket", socket],
            scratch: scratch)
        defer { daemon.stop() }
        _ = try daemon.ready()
        let setup = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        try await putBenchSecret(setup)
        let lease = try await createLease(setup, CreateLeaseRequest(name: "/sealbox-bench/secret"))
        await setup.close()
        let path = NativePath.redeem(lease.leaseId)
        func window() async throws -> Stats {
            try await LoadRunner.measure(
                endpoint: .unixSocket(path: socket), connections: 32, warmup: 0, duration: 3, group: group
            ) { connection, _ in
                let response = try await connection.request(.post, path)
                guard response.status == 200 else {
                    throw BenchError(description: "redeem answered \(response.status)")
                }
            }
        }
        let fresh = try await window()
        var calls = fresh.requests + 2
        var full: Stats
        repeat {
            full = try await window()
            calls += full.requests
        } while calls < recordCalls
        say(
            String(
                format: "ephemeral daemon, redeem: %.0f req/s fresh, %.0f req/s after %d calls%@: %.2f",
                fresh.requestsPerSecond, full.requestsPerSecond, calls, calls > 100_000 ? " (record full)" : "",
                full.requestsPerSecond / fresh.requestsPerSecond))
        let read = try await readFullRecord(daemon, socket: socket, group: group)
        return Figures.Ephemeral(
            calls: calls, freshRequestsPerSecond: fresh.requestsPerSecond,
            fullRequestsPerSecond: full.requestsPerSecond, recordedCalls: read.calls, recordBytes: read.bytes,
            recordReadSeconds: read.seconds, rssBeforeReadKiB: read.rssBefore, rssPeakKiB: read.rssPeak,
            rssAfterReadKiB: read.rssAfter)
    }

    /// A test suite reads the whole record with `GET /v1/test/calls`: how long that takes, and what
    /// it costs the daemon's memory while it lasts and after.
    private func readFullRecord(
        _ daemon: ChildProcess, socket: String, group: MultiThreadedEventLoopGroup
    ) async throws -> (calls: Int, bytes: Int, seconds: Double, rssBefore: Int, rssPeak: Int, rssAfter: Int) {
        let reader = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        let before = daemon.rssKiB
        daemon.resetPeakRSS()
        let started = ContinuousClock.now
        let response = try await reader.request(.get, NativePath.testCalls)
        let elapsed = ContinuousClock.now - started
        await reader.close()
        guard response.status == 200,
            let recorded = try? JSONDecoder().decode(RecordedCallList.self, from: Data(response.body)).calls
        else { throw BenchError(description: "GET /v1/test/calls answered \(response.status)") }
        let read = (
            calls: recorded.count, bytes: response.body.count, seconds: Self.seconds(elapsed), rssBefore: before,
            rssPeak: daemon.peakRSSKiB, rssAfter: daemon.rssKiB
        )
        say(
            String(
                format:
                    "ephemeral daemon, GET /v1/test/calls: %d calls, %.1f MiB in %.2f s; RSS %.1f MiB before, %.1f at the peak, %.1f after",
                read.calls, Double(read.bytes) / 1_048_576, read.seconds, Double(read.rssBefore) / 1024,
                Double(read.rssPeak) / 1024, Double(read.rssAfter) / 1024))
        return read
    }
}
