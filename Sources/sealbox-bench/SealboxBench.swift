import ArgumentParser
import Foundation
import NIOPosix
import SealboxClient

/// A load generator for sealboxd: keep-alive connections sending one request at a time each.
@main
struct SealboxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealbox-bench",
        abstract: "Measures KMS Decrypt throughput and latency against a running sealboxd.",
        discussion: """
            Creates a key, encrypts a 32-byte value, then sends Decrypt for --duration seconds over
            --connections keep-alive connections and prints req/s and latency percentiles.

            Example: sealbox-bench --socket .sealbox/sealbox.sock --connections 32 --duration 5
            """
    )

    @Option(help: "The daemon's Unix socket.")
    var socket: String

    @Option(help: "Concurrent keep-alive connections.")
    var connections = 1

    @Option(help: "Seconds to measure, after one second of warm-up.")
    var duration = 5.0

    @Option(help: "Event loop threads for the client.")
    var clientThreads = 1

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: clientThreads)
        let setup = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
        let created = try await call(setup, "CreateKey", ["Description": "sealbox-bench"])
        let keyId = (created["KeyMetadata"] as! [String: Any])["KeyId"] as! String
        let plaintext = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let blob =
            try await call(setup, "Encrypt", ["KeyId": keyId, "Plaintext": plaintext])["CiphertextBlob"] as! String
        await setup.close()
        let body = Array(try JSONSerialization.data(withJSONObject: ["CiphertextBlob": blob]))
        let headers = [("X-Amz-Target", "TrentService.Decrypt"), ("Content-Type", "application/x-amz-json-1.1")]

        let start = ContinuousClock.now
        let measureFrom = start + .seconds(1)
        let end = measureFrom + .seconds(duration)
        let samples = try await withThrowingTaskGroup(of: [Int64].self) { tasks in
            for _ in 0..<connections {
                tasks.addTask {
                    let connection = try await SealboxConnection.connect(to: .unixSocket(path: socket), group: group)
                    var latencies: [Int64] = []
                    latencies.reserveCapacity(200_000)
                    while true {
                        let sent = ContinuousClock.now
                        if sent >= end { break }
                        let response = try await connection.request(.POST, "/", headers: headers, body: body)
                        guard response.status == 200 else {
                            throw BenchError(description: "Decrypt answered \(response.status)")
                        }
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
        try await group.shutdownGracefully()
        func percentile(_ p: Double) -> Double {
            samples.isEmpty ? 0 : Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000
        }
        let rate = Double(samples.count) / duration
        print(
            String(
                format:
                    "KMS Decrypt  unix  connections=%d  requests=%d  req/s=%.0f  p50=%.0fus  p99=%.0fus  p999=%.0fus",
                connections, samples.count, rate, percentile(0.5), percentile(0.99), percentile(0.999)))
    }

    private func call(_ connection: SealboxConnection, _ operation: String, _ body: [String: Any]) async throws
        -> [String: Any]
    {
        let response = try await connection.request(
            .POST, "/", headers: [("X-Amz-Target", "TrentService.\(operation)")],
            body: Array(try JSONSerialization.data(withJSONObject: body)))
        guard response.status == 200 else {
            throw BenchError(description: "\(operation): \(String(decoding: response.body, as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: Data(response.body)) as! [String: Any]
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
}
