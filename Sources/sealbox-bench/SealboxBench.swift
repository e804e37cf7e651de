import ArgumentParser
import Foundation
import NIOPosix
import SealboxAPI
import SealboxClient

/// A load generator for sealboxd: keep-alive connections over the Unix socket, one request at a
/// time each.
@main
struct SealboxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealbox-bench",
        abstract: "Measures sealboxd throughput and latency, and seeds large parameter sets.",
        subcommands: [
            Run.self, Suite.self, Seed.self, Scale.self, StoreBench.self, Soak.self, CryptoBench.self, Report.self,
        ],
        defaultSubcommand: Run.self
    )
}

enum Workload: String, ExpressibleByArgument, CaseIterable {
    case decrypt
    case getParameter = "get-parameter"
    case byPath = "by-path"
    case redeem
    case secretRedeem = "secret-redeem"
    case extensionGet = "extension-get"
    case secretsGet = "secrets-get"
    case putParameter = "put-parameter"
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sends one workload for a fixed time and prints req/s and latency percentiles.",
        discussion: """
            decrypt:        KMS Decrypt of a 32-byte value.
            get-parameter:  SSM GetParameter WithDecryption of a SecureString.
            by-path:        every page of GetParametersByPath --path (recursive, with decryption);
                            one "request" is the whole subtree.
            redeem:         POST /v1/leases/{id}/redeem of a SecureString lease.
            extension-get:  GET /systemsmanager/parameters/get with decryption.
            secrets-get:    GET /secretsmanager/get of a secret's current value.
            put-parameter:  SSM PutParameter Overwrite of a 32-byte String, over 1,000 names.

            Example: sealbox-bench run --socket .sealbox/sealbox.sock --workload get-parameter --connections 32
            """
    )

    @Option(help: "The daemon's Unix socket.")
    var socket: String

    @Option(help: "What to send: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var workload = Workload.decrypt

    @Option(help: "The subtree for by-path.")
    var path = "/seed/0"

    @Option(help: "Concurrent keep-alive connections.")
    var connections = 1

    @Option(help: "Seconds to measure, after one second of warm-up.")
    var duration = 5.0

    @Option(help: "Event loop threads for the client.")
    var clientThreads = 1

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: clientThreads)
        let setup = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        let requests = try await prepare(setup)
        await setup.close()

        let stats = try await LoadRunner.measure(
            endpoint: .unixSocket(path: socket), connections: connections, warmup: 1, duration: duration, group: group
        ) { connection, _ in try await requests(connection) }
        try await group.shutdownGracefully()
        say(
            String(
                format: "%@  unix  connections=%d  requests=%d  req/s=%.0f  p50=%.0fus  p99=%.0fus  p999=%.0fus",
                workload.rawValue, connections, stats.requests, stats.requestsPerSecond, stats.p50Micros,
                stats.p99Micros, stats.p999Micros))
    }

    /// Creates what the workload reads, and returns the request it repeats.
    private func prepare(_ setup: SealboxConnection) async throws -> @Sendable (SealboxConnection) async throws -> Void
    {
        switch workload {
        case .decrypt:
            let (_, blob) = try await createBenchKey(setup, "sealbox-bench")
            let body = try JSONSerialization.data(withJSONObject: ["CiphertextBlob": blob])
            return { connection in try await expect200(connection, "TrentService.Decrypt", Array(body)) }
        case .getParameter:
            try await putBenchSecret(setup)
            let body = try JSONSerialization.data(withJSONObject: [
                "Name": "/sealbox-bench/secret", "WithDecryption": true,
            ])
            return { connection in try await expect200(connection, "AmazonSSM.GetParameter", Array(body)) }
        case .redeem:
            try await putBenchSecret(setup)
            let lease = try await createLease(
                setup, CreateLeaseRequest(name: "/sealbox-bench/secret", ttlSeconds: 3600))
            let path = NativePath.redeem(lease.leaseId)
            return { connection in
                let response = try await connection.request(.post, path)
                guard response.status == 200 else {
                    throw BenchError(description: "redeem answered \(response.status)")
                }
            }
        case .secretRedeem:
            try await putBenchSecretsManagerSecret(setup)
            let lease = try await createLease(
                setup, CreateLeaseRequest(secretId: benchSecretName, ttlSeconds: 3600))
            let path = NativePath.redeem(lease.leaseId)
            return { connection in
                let response = try await connection.request(.post, path)
                guard response.status == 200 else {
                    throw BenchError(description: "secret redeem answered \(response.status)")
                }
            }
        case .extensionGet:
            try await putBenchSecret(setup)
            return { connection in
                let response = try await connection.request(.get, benchExtensionPath)
                guard response.status == 200 else {
                    throw BenchError(description: "extension answered \(response.status)")
                }
            }
        case .secretsGet:
            try await putBenchSecretsManagerSecret(setup)
            return { connection in
                let response = try await connection.request(.get, benchSecretsPath)
                guard response.status == 200 else {
                    throw BenchError(description: "/secretsmanager/get answered \(response.status)")
                }
            }
        case .putParameter:
            let bodies = try (0..<1000).map { index in
                Array(
                    try JSONSerialization.data(withJSONObject: [
                        "Name": "/sealbox-bench/put/\(index)", "Value": String(repeating: "w", count: 32),
                        "Type": "String", "Overwrite": true,
                    ]))
            }
            return { connection in
                try await expect200(connection, "AmazonSSM.PutParameter", bodies.randomElement()!)
            }
        case .byPath:
            let path = self.path
            return { connection in
                var token: String? = nil
                repeat {
                    var request: [String: Any] = [
                        "Path": path, "Recursive": true, "WithDecryption": true, "MaxResults": 10,
                    ]
                    if let token { request["NextToken"] = token }
                    token = try await call(connection, "AmazonSSM.GetParametersByPath", request)["NextToken"] as? String
                } while token != nil
            }
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes parameters, half of them SecureString, in subtrees of 1,000.",
        discussion:
            "Example: sealbox-bench seed --socket .sealbox/sealbox.sock --count 100000  # /seed/0/p0 ... /seed/99/p99999"
    )

    @Option(help: "The daemon's Unix socket.")
    var socket: String

    @Option(help: "How many parameters.")
    var count = 100_000

    @Option(help: "Concurrent connections.")
    var connections = 8

    func run() async throws {
        let started = ContinuousClock.now
        try await Self.seed(socket: socket, count: count, connections: connections)
        say("seeded \(count) parameters in \(ContinuousClock.now - started)")
    }

    /// Writes `/seed/<i / 1000>/p<i>` for i in 0..<count, odd ones SecureString.
    static func seed(socket: String, count: Int, connections: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for worker in 0..<connections {
                tasks.addTask {
                    let connection = try await SealboxConnection.connect(to: .unixSocket(path: socket))
                    for index in stride(from: worker, to: count, by: connections) {
                        let body: [String: Any] = [
                            "Name": "/seed/\(index / 1000)/p\(index)",
                            "Value": "value-\(index)-" + String(repeating: "x", count: 24),
                            "Type": index % 2 == 0 ? "String" : "SecureString", "Overwrite": true,
                        ]
                        _ = try await call(connection, "AmazonSSM.PutParameter", body)
                    }
                    await connection.close()
                }
            }
            try await tasks.waitForAll()
        }
    }
}

func putBenchSecret(_ connection: SealboxConnection) async throws {
    _ = try await call(
        connection, "AmazonSSM.PutParameter",
        [
            "Name": "/sealbox-bench/secret", "Value": String(repeating: "s", count: 32), "Type": "SecureString",
            "Overwrite": true,
        ])
}

/// The Secrets Manager secret the secret-redeem workload leases and the secrets-get workload reads:
/// a 32-byte SecretString, as the parameter the redeem workload leases holds.
let benchSecretName = "sealbox-bench/secret"

/// Creates the bench's Secrets Manager secret, or gives it a new current version when it exists.
func putBenchSecretsManagerSecret(_ connection: SealboxConnection) async throws {
    let value = String(repeating: "s", count: 32)
    do {
        try await call(connection, "secretsmanager.CreateSecret", ["Name": benchSecretName, "SecretString": value])
    } catch {
        try await call(
            connection, "secretsmanager.PutSecretValue", ["SecretId": benchSecretName, "SecretString": value])
    }
}

/// The extension API's read of the bench secret, decrypted.
let benchExtensionPath = NativePath.extensionGetParameter(name: "/sealbox-bench/secret", withDecryption: true)

/// The extension's (and the agent's) read of ``benchSecretName``.
let benchSecretsPath = NativePath.extensionGetSecret(id: benchSecretName)

/// `POST /v1/leases`: a lease for the connection's process (or, on TCP, the token holder).
/// - Parameters:
///   - connection: the connection.
///   - request: the lease to make.
///   - headers: extra headers, such as the token on TCP.
func createLease(
    _ connection: SealboxConnection,
    _ request: CreateLeaseRequest,
    headers: [(String, String)] = []
) async throws -> LeaseInfo {
    let response = try await connection.request(
        .post, NativePath.leases, headers: headers, body: Array(try JSONEncoder().encode(request)))
    guard (200..<300).contains(response.status) else {
        throw BenchError(description: "\(NativePath.leases): \(String(decoding: response.body, as: UTF8.self))")
    }
    return try JSONDecoder().decode(LeaseInfo.self, from: Data(response.body))
}

@discardableResult
func call(_ connection: SealboxConnection, _ target: String, _ body: [String: Any]) async throws -> [String: Any] {
    let response = try await connection.request(
        .post, NativePath.aws, headers: [("X-Amz-Target", target)],
        body: Array(try JSONSerialization.data(withJSONObject: body)))
    guard response.status == 200 else {
        throw BenchError(description: "\(target): \(String(decoding: response.body, as: UTF8.self))")
    }
    return try JSONSerialization.jsonObject(with: Data(response.body)) as! [String: Any]
}

/// An AWS JSON 1.1 request, sent unsigned (the Unix socket identifies the caller).
func aws(_ target: String, _ body: [String: Any]) throws -> RequestSpec {
    RequestSpec(
        method: .post, path: NativePath.aws,
        headers: [("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-1.1")],
        body: Array(try JSONSerialization.data(withJSONObject: body)))
}

/// Creates a KMS key and encrypts 32 known bytes under it, for the Decrypt workloads.
/// - Returns: the key id and the base64 ciphertext blob.
func createBenchKey(_ connection: SealboxConnection, _ description: String) async throws -> (
    keyId: String, blob: String
) {
    let created = try await call(connection, "TrentService.CreateKey", ["Description": description])
    let keyId = (created["KeyMetadata"] as! [String: Any])["KeyId"] as! String
    let plaintext = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    let blob = try await call(connection, "TrentService.Encrypt", ["KeyId": keyId, "Plaintext": plaintext])
    return (keyId, blob["CiphertextBlob"] as! String)
}

/// The message the Sign and Verify workloads sign: 32 bytes, base64-encoded.
let benchMessage = Data((0..<32).map { UInt8($0) }).base64EncodedString()

/// Creates a SIGN_VERIFY key of `spec`, for the Sign and Verify workloads.
/// - Returns: the key id.
func createSigningKey(_ connection: SealboxConnection, _ spec: String) async throws -> String {
    let created = try await call(
        connection, "TrentService.CreateKey",
        ["Description": "sealbox-bench \(spec)", "KeySpec": spec, "KeyUsage": "SIGN_VERIFY"])
    return (created["KeyMetadata"] as! [String: Any])["KeyId"] as! String
}

func expect200(_ connection: SealboxConnection, _ target: String, _ body: [UInt8]) async throws {
    let response = try await connection.request(.post, NativePath.aws, headers: [("X-Amz-Target", target)], body: body)
    guard response.status == 200 else { throw BenchError(description: "\(target) answered \(response.status)") }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
}
