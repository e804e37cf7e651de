import Foundation
import NIOHTTP1
import SealboxClient

#if canImport(Glibc)
    import Glibc
#endif

/// An ephemeral `sealboxd` for a test suite (Swift Testing or XCTest): in memory, any AWS
/// credentials accepted, on a private Unix socket and a free loopback port, optionally seeded
/// from a fixture file.
///
/// ```swift
/// let daemon = try SealboxTestDaemon.start(fixtures: "Tests/fixtures.yaml")
/// defer { daemon.stop() }
/// let lease = try await Sealbox.lease("/app/db/password", socketPath: daemon.socketPath)
/// try await daemon.reset()                       // back to the fixtures, calls cleared
/// ```
public final class SealboxTestDaemon: Sendable {
    /// The daemon's Unix socket.
    public let socketPath: String
    /// `http://127.0.0.1:PORT`, for AWS SDKs.
    public let endpointURL: String
    /// The daemon's process id.
    public let pid: Int32
    private let directory: String

    private init(socketPath: String, endpointURL: String, pid: Int32, directory: String) {
        self.socketPath = socketPath
        self.endpointURL = endpointURL
        self.pid = pid
        self.directory = directory
    }

    /// One recorded call (`GET /v1/test/calls`).
    public struct Call: Decodable, Sendable {
        public struct Principal: Decodable, Sendable {
            public var kind: String
            public var pid: Int32?
            public var uid: UInt32?
        }
        public var sequence: Int
        public var time: Double
        public var operation: String
        public var resources: [String]
        public var principal: Principal
        public var result: String
        public var status: Int
    }

    /// A daemon failure: it did not start, or an endpoint refused.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts a daemon and waits for its ready line.
    /// - Parameters:
    ///   - binary: the `sealboxd` binary; by default `$SEALBOXD`, else the one built beside the test
    ///     bundle (`.build/debug/sealboxd`), else `sealboxd` on `$PATH`.
    ///   - fixtures: a fixture file to seed it with, and to return to on ``reset()``.
    ///   - arguments: more flags, such as `--require-auth`.
    public static func start(
        binary: String? = nil,
        fixtures: String? = nil,
        arguments: [String] = []
    ) throws -> SealboxTestDaemon {
        let directory = NSTemporaryDirectory() + "sealbox-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let socketPath = directory + "/sealbox.sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary ?? defaultBinary())
        process.arguments =
            ["--ephemeral", "--listen", "127.0.0.1:0", "--socket", socketPath]
            + (fixtures.map { ["--fixtures", $0] } ?? []) + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var line = Data()
        let reader = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let newline = line.firstIndex(of: UInt8(ascii: "\n")),
            let ready = try? JSONSerialization.jsonObject(with: line[..<newline]) as? [String: Any],
            let tcp = ready["tcp"] as? String
        else {
            kill(process.processIdentifier, SIGKILL)
            var status: Int32 = 0
            waitpid(process.processIdentifier, &status, 0)
            throw Failure(description: "sealboxd did not start (check the binary and the fixture file)")
        }
        return SealboxTestDaemon(
            socketPath: socketPath, endpointURL: "http://\(tcp)", pid: process.processIdentifier,
            directory: directory)
    }

    private static func defaultBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SEALBOXD"] { return path }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [beside, beside.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("sealboxd").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/sealboxd"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Failure(description: "sealboxd not found: build it (swift build) or set SEALBOXD")
    }

    /// Returns the daemon to its fixtures (`POST /moto-api/reset`) and clears the recorded calls.
    public func reset() async throws {
        _ = try await request(.POST, "/moto-api/reset")
    }

    /// Every call since the last reset or ``clearCalls()``, in order.
    public func calls() async throws -> [Call] {
        struct List: Decodable { var calls: [Call] }
        return try JSONDecoder().decode(List.self, from: Data(try await request(.GET, "/v1/test/calls"))).calls
    }

    /// Forgets the recorded calls.
    public func clearCalls() async throws {
        _ = try await request(.DELETE, "/v1/test/calls")
    }

    private func request(_ method: HTTPMethod, _ path: String) async throws -> [UInt8] {
        let connection = try await SealboxConnection.connect(to: .unixSocket(path: socketPath))
        defer { Task { await connection.close() } }
        let response = try await connection.request(method, path)
        guard (200..<300).contains(response.status) else {
            throw Failure(description: "\(method) \(path) answered \(response.status)")
        }
        return response.body
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after five seconds) and removes its directory.
    public func stop() {
        if kill(pid, SIGTERM) == 0 {
            var status: Int32 = 0
            var waited = 0
            while waitpid(pid, &status, WNOHANG) == 0 {
                if waited > 500 {
                    kill(pid, SIGKILL)
                    waitpid(pid, &status, 0)
                    break
                }
                usleep(10_000)
                waited += 1
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
