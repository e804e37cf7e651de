import ArgumentParser
import Foundation
import NIOPosix
import SealboxAPI
import SealboxClient

/// `make bench`: every workload over both transports at several connection counts, each measured
/// against a bare NIO server answering a body of the same size, in the same run.
struct Suite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs the benchmark suite against a fresh sealboxd and the bare NIO baseline.",
        discussion: """
            Prints one table per workload (req/s, p50/p99/p999, ratio to the baseline, daemon RSS) and
            writes the figures to --json. Each row is measured in --rounds rounds in which sealboxd and the
            baseline take turns, so that a slow moment of a shared machine hits both; the row shows the
            round with the median throughput ratio, except p99x, the median of the rounds' p99 ratios. The
            JSON keeps every round's ratios. The rows the performance targets are set on (Unix socket, 32
            connections: redeem, extension GET, Secrets Manager GET, Decrypt) get --target-rounds rounds of the same length, so
            that their median rests on more turns.

            Example: sealbox-bench suite --sealboxd .build/release/sealboxd --baseline .build/release/sealbox-baseline
            """
    )

    @Option(help: "The sealboxd binary.")
    var sealboxd: String

    @Option(help: "The sealbox-baseline binary.")
    var baseline: String

    @Option(help: "Seconds measured per row and server, split over the rounds, each after a warm-up of a third.")
    var duration = 3.0

    @Option(help: "Rounds per row, sealboxd and the baseline taking turns.")
    var rounds = 3

    @Option(
        help:
            "Rounds for the rows that carry a target (Unix socket, 32 connections, redeem/secret-redeem/extension-get/secrets-get/decrypt)."
    )
    var targetRounds = 7

    @Option(help: "Connection counts, comma-separated.")
    var connections = "1,8,32"

    @Option(help: "Transports, comma-separated: unix, tcp.")
    var transports = "unix,tcp"

    @Option(help: "Workloads, comma-separated: \(SuiteWorkload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var workloads = SuiteWorkload.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Where to write the figures as JSON.")
    var json = "bench-results.json"

    struct Row: Codable {
        var workload: String
        var transport: String
        var connections: Int
        var sealboxd: Stats
        var baseline: Stats
        var throughputRatio: Double
        /// The median over the rounds of sealboxd's p99 over the baseline's in the same round: one
        /// round's tail moves too much to stand for the row.
        var p99Ratio: Double
        /// sealboxd's CPU per request over the baseline's.
        var cpuRatio: Double
        var daemonRSSKiB: Int
        /// Every round's throughput ratio; the row is the median one.
        var roundRatios: [Double]
        /// Every round's p99 ratio.
        var roundP99Ratios: [Double]
    }

    func run() async throws {
        do {
            try await runSuite()
        } catch {
            ChildProcess.stopAll()
            throw error
        }
    }

    private func runSuite() async throws {
        let scratch = NSTemporaryDirectory() + "sealbox-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch + "/data", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // The token stands for the benchmark on TCP; by default it may not write (the mixed workload does).
        // The access key the daemon writes to its credentials file (principal `daemon`) signs the SigV4
        // workload.
        try """
        policy:
          - principals: ["uid:\(getuid())", "token", "access-key:daemon"]
            allow: ["*"]
            resources: ["*"]
        """.write(toFile: scratch + "/bench.yaml", atomically: true, encoding: .utf8)
        let daemon = try ChildProcess(
            sealboxd,
            [
                "--data-dir", scratch + "/data", "--listen", "127.0.0.1:0", "--socket", scratch + "/sealbox.sock",
                "--config", scratch + "/bench.yaml",
            ],
            scratch: scratch)
        let ready = try daemon.ready()
        let daemonTCP = try Self.tcpEndpoint(ready)
        let daemonUnix = SealboxEndpoint.unixSocket(path: scratch + "/sealbox.sock")
        let token = try String(contentsOfFile: scratch + "/data/token", encoding: .utf8)
        let signer = try SigV4Signer(credentialsFile: scratch + "/data/credentials")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let counts = connections.split(separator: ",").compactMap { Int($0) }
        let chosenTransports = transports.split(separator: ",").map(String.init)
        var rows: [Row] = []

        for name in workloads.split(separator: ",") {
            guard let workload = SuiteWorkload(rawValue: String(name)) else {
                throw ValidationError("unknown workload \(name)")
            }
            let setup = try await SealboxConnection.connect(to: daemonUnix, group: group)
            let tcpSetup = try await SealboxConnection.connect(to: daemonTCP, group: group)
            let requests = try await workload.prepare(unix: setup, tcp: tcpSetup, token: token, signer: signer)
            let first = requests.unix(0)
            let sample = try await setup.request(first.method, first.path, headers: first.headers, body: first.body)
            await setup.close()
            await tcpSetup.close()
            let base = try ChildProcess(
                baseline,
                [
                    "--socket", scratch + "/baseline.sock", "--listen", "127.0.0.1:0", "--body-size",
                    String(sample.body.count),
                ],
                scratch: scratch)
            let baseTCP = try Self.tcpEndpoint(try base.ready())
            let baseUnix = SealboxEndpoint.unixSocket(path: scratch + "/baseline.sock")
            say("\n\(workload.title) (answer \(sample.body.count) bytes)")
            say(
                "transport  conns   sealboxd req/s   p50 µs   p99 µs  p999 µs  cpu µs |  baseline req/s   p50 µs   p99 µs  cpu µs | ratio  p99x  cpux  RSS MiB"
            )
            for transport in chosenTransports where transport == "tcp" || !workload.isSigned {
                for count in counts {
                    let tcp = transport == "tcp"
                    let headers = tcp && !workload.isSigned ? [("X-Aws-Parameters-Secrets-Token", token)] : []
                    let request = tcp ? requests.tcp : requests.unix
                    let slice = duration / Double(max(rounds, 1))
                    let rowRounds = workload.hasTarget && transport == "unix" && count == 32 ? targetRounds : rounds
                    func run(_ endpoint: SealboxEndpoint, _ server: ChildProcess) async throws -> Stats {
                        try await LoadRunner.measure(
                            endpoint: endpoint, connections: count, warmup: slice / 3, duration: slice, group: group,
                            extraHeaders: headers, cpuSeconds: { server.cpuSeconds }, request: request)
                    }
                    var pairs: [(measured: Stats, reference: Stats)] = []
                    for round in 0..<max(rowRounds, 1) {
                        // Turns alternate, so neither server always runs on the other's warm caches.
                        if round % 2 == 0 {
                            let measured = try await run(tcp ? daemonTCP : daemonUnix, daemon)
                            pairs.append((measured, try await run(tcp ? baseTCP : baseUnix, base)))
                        } else {
                            let reference = try await run(tcp ? baseTCP : baseUnix, base)
                            pairs.append((try await run(tcp ? daemonTCP : daemonUnix, daemon), reference))
                        }
                    }
                    let ratios = pairs.map { $0.measured.requestsPerSecond / max($0.reference.requestsPerSecond, 1) }
                    let median = ratios.indices.sorted { ratios[$0] < ratios[$1] }[ratios.count / 2]
                    let p99Ratios = pairs.map { $0.measured.p99Micros / max($0.reference.p99Micros, 1) }
                    let (measured, reference) = pairs[median]
                    let row = Row(
                        workload: workload.rawValue, transport: transport, connections: count, sealboxd: measured,
                        baseline: reference, throughputRatio: ratios[median],
                        p99Ratio: p99Ratios.sorted()[p99Ratios.count / 2],
                        cpuRatio: measured.cpuMicrosPerRequest / max(reference.cpuMicrosPerRequest, 0.001),
                        daemonRSSKiB: daemon.rssKiB, roundRatios: ratios, roundP99Ratios: p99Ratios)
                    rows.append(row)
                    say(
                        String(
                            format:
                                "%-9@ %6d %16.0f %8.0f %8.0f %8.0f %7.1f | %15.0f %8.0f %8.0f %7.1f | %5.2f %5.2f %5.2f %8.1f",
                            transport, count, measured.requestsPerSecond, measured.p50Micros, measured.p99Micros,
                            measured.p999Micros, measured.cpuMicrosPerRequest, reference.requestsPerSecond,
                            reference.p50Micros, reference.p99Micros, reference.cpuMicrosPerRequest,
                            row.throughputRatio, row.p99Ratio, row.cpuRatio, Double(row.daemonRSSKiB) / 1024))
                }
            }
            base.stop()
        }
        try await group.shutdownGracefully()
        daemon.stop()
        try writeJSON(rows, to: json)
        say("\nwrote \(json)")
    }

    static func tcpEndpoint(_ ready: DaemonReadyLine) throws -> SealboxEndpoint {
        guard let text = ready.tcp, let colon = text.lastIndex(of: ":"),
            let port = Int(text[text.index(after: colon)...])
        else { throw BenchError(description: "no tcp address in the ready line") }
        return .tcp(host: String(text[..<colon]), port: port)
    }
}

/// The workloads of the suite.
enum SuiteWorkload: String, CaseIterable {
    case redeem
    case secretRedeem = "secret-redeem"
    case extensionGet = "extension-get"
    case secretsGet = "secrets-get"
    case decrypt
    case decryptSigned = "decrypt-signed"
    case getParameter = "get-parameter"
    case mixed
    case signECC = "sign-ecc"
    case signRSA = "sign-rsa"
    case verifyECC = "verify-ecc"

    /// Whether the performance targets name it (at 32 connections on the Unix socket).
    var hasTarget: Bool {
        self == .redeem || self == .secretRedeem || self == .extensionGet || self == .secretsGet || self == .decrypt
    }

    /// Whether its requests carry a SigV4 signature, as SDKs send them; only TCP verifies one.
    var isSigned: Bool { self == .decryptSigned }

    var title: String {
        switch self {
        case .redeem: "Lease redeem (POST /v1/leases/{id}/redeem)"
        case .secretRedeem: "Secrets Manager lease redeem (POST /v1/leases/{id}/redeem, a 32-byte SecretString)"
        case .extensionGet: "Extension GET (/systemsmanager/parameters/get, withDecryption)"
        case .secretsGet: "Secrets Manager GET (/secretsmanager/get, the extension's and the agent's)"
        case .decrypt: "KMS Decrypt (AWS JSON 1.1)"
        case .decryptSigned: "KMS Decrypt, SigV4-signed as SDKs send it (TCP only)"
        case .getParameter: "SSM GetParameter WithDecryption"
        case .mixed: "Mixed: 90% GetParameter WithDecryption, 10% PutParameter"
        case .signECC: "KMS Sign, ECC_NIST_P256, ECDSA_SHA_256 of a 32-byte message"
        case .signRSA: "KMS Sign, RSA_2048, RSASSA_PSS_SHA_256 of a 32-byte message"
        case .verifyECC: "KMS Verify, ECC_NIST_P256, ECDSA_SHA_256 of a 32-byte message"
        }
    }

    typealias Requests = (unix: @Sendable (Int) -> RequestSpec, tcp: @Sendable (Int) -> RequestSpec)

    /// Creates what the workload reads; returns the request for each index, per transport (a lease
    /// belongs to the socket process or to the token holder, so each transport gets its own).
    func prepare(
        unix setup: SealboxConnection, tcp tcpSetup: SealboxConnection, token: String, signer: SigV4Signer
    ) async throws -> Requests {
        try await putBenchSecret(setup)
        // The suite's socket connections all belong to this process, so they may share one lease.
        func redeems(_ body: CreateLeaseRequest) async throws -> Requests {
            let unixLease = try await createLease(setup, body).leaseId
            let tcpLease = try await createLease(
                tcpSetup, body, headers: [("X-Aws-Parameters-Secrets-Token", token)]
            ).leaseId
            let unixSpec = RequestSpec(method: .post, path: NativePath.redeem(unixLease), headers: [], body: [])
            let tcpSpec = RequestSpec(method: .post, path: NativePath.redeem(tcpLease), headers: [], body: [])
            return ({ _ in unixSpec }, { _ in tcpSpec })
        }
        switch self {
        case .redeem:
            return try await redeems(CreateLeaseRequest(name: "/sealbox-bench/secret", ttlSeconds: 3600))
        case .secretRedeem:
            try await putBenchSecretsManagerSecret(setup)
            return try await redeems(CreateLeaseRequest(secretId: benchSecretName, ttlSeconds: 3600))
        case .extensionGet:
            let spec = RequestSpec(
                method: .get, path: benchExtensionPath,
                headers: [], body: [])
            return ({ _ in spec }, { _ in spec })
        case .secretsGet:
            try await putBenchSecretsManagerSecret(setup)
            let spec = RequestSpec(method: .get, path: benchSecretsPath, headers: [], body: [])
            return ({ _ in spec }, { _ in spec })
        case .decrypt:
            let (_, blob) = try await createBenchKey(setup, "sealbox-bench")
            let spec = try aws("TrentService.Decrypt", ["CiphertextBlob": blob])
            return ({ _ in spec }, { _ in spec })
        case .decryptSigned:
            let (_, blob) = try await createBenchKey(setup, "sealbox-bench")
            let spec = signer.sign(
                try aws("TrentService.Decrypt", ["CiphertextBlob": blob]), service: "kms", host: tcpSetup.host)
            return ({ _ in spec }, { _ in spec })
        case .getParameter:
            let spec = try aws("AmazonSSM.GetParameter", ["Name": "/sealbox-bench/secret", "WithDecryption": true])
            return ({ _ in spec }, { _ in spec })
        case .mixed:
            let read = try aws("AmazonSSM.GetParameter", ["Name": "/sealbox-bench/secret", "WithDecryption": true])
            let writes = try (0..<10).map { index in
                try aws(
                    "AmazonSSM.PutParameter",
                    [
                        "Name": "/sealbox-bench/mixed/\(index)", "Value": String(repeating: "w", count: 32),
                        "Type": "SecureString", "Overwrite": true,
                    ])
            }
            let request: @Sendable (Int) -> RequestSpec = { index in
                index % 10 == 9 ? writes[(index / 10) % writes.count] : read
            }
            return (request, request)
        case .signECC, .signRSA, .verifyECC:
            let (keyId, algorithm) =
                self == .signRSA
                ? (try await createSigningKey(setup, "RSA_2048"), "RSASSA_PSS_SHA_256")
                : (try await createSigningKey(setup, "ECC_NIST_P256"), "ECDSA_SHA_256")
            var body: [String: Any] = ["KeyId": keyId, "Message": benchMessage, "SigningAlgorithm": algorithm]
            if self == .verifyECC {
                body["Signature"] = try await call(setup, "TrentService.Sign", body)["Signature"] as! String
            }
            let spec = try aws(self == .verifyECC ? "TrentService.Verify" : "TrentService.Sign", body)
            return ({ _ in spec }, { _ in spec })
        }
    }
}

/// Writes a line to stdout at once, so progress shows while the suite runs.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes `value` as sorted, indented JSON: the figures a subcommand's `--json` keeps.
/// - Parameters:
///   - value: the figures.
///   - path: the file to write.
func writeJSON(_ value: some Encodable, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(value).write(to: URL(fileURLWithPath: path))
}
