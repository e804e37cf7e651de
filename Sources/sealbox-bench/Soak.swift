import ArgumentParser
import Foundation
import NIOPosix
import SealboxAPI
import SealboxClient

/// A long mixed run against one daemon with a real store and audit log: every request must
/// succeed, and resident memory and open file descriptors must level off.
struct Soak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sends a million mixed requests and checks errors, RSS growth and file descriptors.",
        discussion: """
            The mix, over the Unix socket: 10% PutParameter (SecureString, fsynced), 20% lease redeem,
            20% KMS Decrypt, 20% GetParameter WithDecryption, 10% extension GET, 10% GenerateDataKey,
            10% GetParametersByPath. The first tenth of the requests warms the daemon up; RSS and the
            open descriptors are taken after it and again at the end.

            Exits 1 on any failed request, RSS growth above --max-rss-growth, or more open descriptors
            at the end than after the warm-up.

            Example: sealbox-bench soak --sealboxd .build/release/sealboxd --requests 1000000
            """
    )

    @Option(help: "The sealboxd binary.")
    var sealboxd: String

    @Option(help: "Requests in all, warm-up included.")
    var requests = 1_000_000

    @Option(help: "Concurrent keep-alive connections.")
    var connections = 32

    @Option(help: "The largest RSS growth allowed after the warm-up, in percent.")
    var maxRssGrowth = 5.0

    func run() async throws {
        let scratch = NSTemporaryDirectory() + "sealbox-soak-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch + "/data", withIntermediateDirectories: true)
        defer {
            ChildProcess.stopAll()
            try? FileManager.default.removeItem(atPath: scratch)
        }
        let socket = scratch + "/sealbox.sock"
        let daemon = try ChildProcess(
            sealboxd, ["--data-dir", scratch + "/data", "--listen", "none", "--socket", socket], scratch: scratch)
        _ = try daemon.ready()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let endpoint = SealboxEndpoint.unixSocket(path: socket)
        let mix = try await Self.prepare(try await SealboxConnection.connect(to: endpoint, group: group))

        var done = 0
        var baseline: (rss: Int, fds: Int)? = nil
        var peakFds = 0
        let started = ContinuousClock.now
        while done < requests {
            // Short rounds, so the warm-up ends and the figures are taken close to the targets.
            let stats = try await LoadRunner.measure(
                endpoint: endpoint, connections: connections, warmup: 0, duration: 2, group: group, request: mix)
            done += stats.requests
            let fds = daemon.openFileCount
            peakFds = max(peakFds, fds)
            if baseline == nil, done >= requests / 10 {
                baseline = (daemon.rssKiB, fds)
                say("warm: \(done) requests, RSS \(Self.mib(daemon.rssKiB)), \(fds) open descriptors")
            }
        }
        let elapsed = ContinuousClock.now - started
        let (rss, fds) = (daemon.rssKiB, daemon.openFileCount)
        let warm = baseline ?? (rss, fds)
        let growth = Double(rss - warm.rss) * 100 / Double(max(warm.rss, 1))
        say(
            "SOAK: requests=\(done) errors=0 connections=\(connections) seconds=\(Int(elapsed.components.seconds)) "
                + "rss_warm=\(Self.mib(warm.rss)) rss_end=\(Self.mib(rss)) "
                + String(format: "rss_growth=%+.2f%% ", growth)
                + "fds_warm=\(warm.fds) fds_end=\(fds) fds_peak=\(peakFds)")
        try await group.shutdownGracefully()
        guard growth <= maxRssGrowth else {
            throw BenchError(description: String(format: "RSS grew %.2f%%, more than %.1f%%", growth, maxRssGrowth))
        }
        guard fds <= warm.fds else {
            throw BenchError(description: "open descriptors grew from \(warm.fds) to \(fds)")
        }
    }

    private static func mib(_ kib: Int) -> String { String(format: "%.1fMiB", Double(kib) / 1024) }

    /// Creates the key, parameters and lease the mix reads, and returns the request for each index.
    private static func prepare(_ setup: SealboxConnection) async throws -> @Sendable (Int) -> RequestSpec {
        try await putBenchSecret(setup)
        let (keyId, blob) = try await createBenchKey(setup, "sealbox-bench soak")
        let lease = try await createLease(
            setup, CreateLeaseRequest(name: "/sealbox-bench/secret", ttlSeconds: 86_400)
        ).leaseId
        await setup.close()
        let writes = try (0..<16).map { index in
            try aws(
                "AmazonSSM.PutParameter",
                [
                    "Name": "/sealbox-bench/soak/\(index)", "Value": String(repeating: "v", count: 48),
                    "Type": "SecureString", "Overwrite": true,
                ])
        }
        let specs: [RequestSpec] = [
            RequestSpec(method: .post, path: NativePath.redeem(lease), headers: [], body: []),
            try aws("TrentService.Decrypt", ["CiphertextBlob": blob]),
            try aws("AmazonSSM.GetParameter", ["Name": "/sealbox-bench/secret", "WithDecryption": true]),
            RequestSpec(
                method: .get, path: benchExtensionPath,
                headers: [], body: []),
            try aws("TrentService.GenerateDataKey", ["KeyId": keyId, "NumberOfBytes": 32]),
            try aws("AmazonSSM.GetParametersByPath", ["Path": "/sealbox-bench/soak", "WithDecryption": true]),
        ]
        // Slots of ten: one write, two each of redeem, Decrypt and GetParameter, one of the rest.
        let slots = [-1, 0, 0, 1, 1, 2, 2, 3, 4, 5]
        return { index in
            let slot = slots[index % slots.count]
            return slot < 0 ? writes[(index / slots.count) % writes.count] : specs[slot]
        }
    }
}
