import Foundation
import SealboxAPI
import SealboxClient

#if canImport(Glibc)
    import Glibc
#endif

/// A `sealboxd` child process for a test suite (Swift Testing or XCTest), on a free loopback port.
/// ``start(binary:fixtures:arguments:)`` runs an ephemeral daemon (in memory, any AWS credentials
/// accepted) on a private Unix socket, optionally seeded from a fixture file;
/// ``start(binary:dataDirectory:arguments:)`` runs a persistent one on a data directory that
/// outlives it, for tests of restarts and crashes.
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
    /// The loopback TCP listener, for ``SealboxConnection/connect(to:group:)``.
    public let tcpEndpoint: SealboxEndpoint
    /// The daemon's process id.
    public let pid: Int32
    /// The data directory of a persistent daemon; nil for an ephemeral one.
    public let dataDirectory: String?
    /// The launcher's own files: the standard error log, and an ephemeral daemon's socket.
    private let scratch: String
    private let process: Process

    private init(
        ready: DaemonReadyLine, socketPath: String, tcp: String, process: Process, dataDirectory: String?,
        scratch: String
    ) {
        self.socketPath = socketPath
        self.endpointURL = "http://\(tcp)"
        self.tcpEndpoint = .tcp(host: "127.0.0.1", port: ready.tcpPort ?? 0)
        self.pid = process.processIdentifier
        self.process = process
        self.dataDirectory = dataDirectory
        self.scratch = scratch
    }

    /// One recorded call (`GET /v1/test/calls`).
    public typealias Call = RecordedCall

    /// A daemon failure: it did not start, or an endpoint refused.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        /// For a daemon that did not start: its exit status (nil if it had to be killed).
        public let exitStatus: Int32?
        /// For a daemon that did not start: what it wrote to standard error.
        public let standardError: String

        init(description: String, exitStatus: Int32? = nil, standardError: String = "") {
            self.description = description
            self.exitStatus = exitStatus
            self.standardError = standardError
        }
    }

    /// Starts an ephemeral daemon and waits for its ready line.
    /// - Parameters:
    ///   - binary: the `sealboxd` binary; by default `$SEALBOXD`, else the one built beside the test
    ///     bundle (`.build/debug/sealboxd`), else `sealboxd` on `$PATH`.
    ///   - fixtures: a fixture file to seed it with, and to return to on ``reset()``.
    ///   - arguments: more flags, such as `--require-auth`; they come last, so they win.
    /// - Throws: ``Failure`` with the daemon's exit status and standard error if it did not start.
    public static func start(
        binary: String? = nil,
        fixtures: String? = nil,
        arguments: [String] = []
    ) throws -> SealboxTestDaemon {
        let scratch = try makeScratch()
        let socketPath = scratch + "/sealbox.sock"
        return try launch(
            binary: binary,
            arguments: ["--ephemeral", "--listen", "127.0.0.1:0", "--socket", socketPath]
                + (fixtures.map { ["--fixtures", $0] } ?? []) + arguments,
            socketPath: socketPath, dataDirectory: nil, scratch: scratch)
    }

    /// Starts a persistent daemon on `dataDirectory` and waits for its ready line. The directory is
    /// kept at ``stop(signal:)``, so a second daemon can start on it; its socket is
    /// `<dataDirectory>/sealbox.sock`.
    /// - Parameters:
    ///   - binary: the `sealboxd` binary, found as for ``start(binary:fixtures:arguments:)``.
    ///   - dataDirectory: the data directory, created by the daemon if missing.
    ///   - arguments: more flags, such as `--root-key`; they come last, so they win.
    /// - Throws: ``Failure`` with the daemon's exit status and standard error if it did not start.
    public static func start(
        binary: String? = nil,
        dataDirectory: String,
        arguments: [String] = []
    ) throws -> SealboxTestDaemon {
        try launch(
            binary: binary, arguments: ["--data-dir", dataDirectory, "--listen", "127.0.0.1:0"] + arguments,
            socketPath: dataDirectory + "/sealbox.sock", dataDirectory: dataDirectory, scratch: try makeScratch())
    }

    /// A new empty directory under the temporary directory, for a persistent daemon's data.
    public static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "sealbox-data-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static func makeScratch() throws -> String {
        let directory = NSTemporaryDirectory() + "sealbox-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    private static func launch(
        binary: String?, arguments: [String], socketPath: String, dataDirectory: String?, scratch: String
    ) throws -> SealboxTestDaemon {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary ?? defaultBinary())
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let log = scratch + "/stderr.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        var line = Data()
        let reader = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let newline = line.firstIndex(of: UInt8(ascii: "\n")),
            let ready = try? JSONDecoder().decode(DaemonReadyLine.self, from: line[..<newline]),
            let tcp = ready.tcp
        else {
            let status = waitForExit(process, timeout: 10)
            let standardError = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: scratch)
            throw Failure(
                description: "sealboxd did not start (check the binary and the fixture file):\n\(standardError)",
                exitStatus: status, standardError: standardError)
        }
        return SealboxTestDaemon(
            ready: ready, socketPath: ready.socket ?? socketPath, tcp: tcp, process: process,
            dataDirectory: dataDirectory, scratch: scratch)
    }

    /// Waits up to `timeout` seconds for the process to exit, then kills it.
    /// - Returns: its exit status, or nil if it had to be killed.
    private static func waitForExit(_ process: Process, timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
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

    /// What the daemon has written to standard error so far: its log.
    public var standardError: String {
        (try? String(contentsOfFile: scratch + "/stderr.log", encoding: .utf8)) ?? ""
    }

    /// Opens a connection on the daemon's Unix socket.
    public func connect() async throws -> SealboxConnection {
        try await SealboxConnection.connect(to: .unixSocket(path: socketPath))
    }

    /// Returns the daemon to its fixtures (`POST /moto-api/reset`) and clears the recorded calls.
    public func reset() async throws {
        _ = try await request(.post, NativePath.reset)
    }

    /// Every call since the last reset or ``clearCalls()``, in order.
    public func calls() async throws -> [Call] {
        try JSONDecoder().decode(RecordedCallList.self, from: Data(try await request(.get, NativePath.testCalls)))
            .calls
    }

    /// Forgets the recorded calls.
    public func clearCalls() async throws {
        _ = try await request(.delete, NativePath.testCalls)
    }

    private func request(_ method: SealboxMethod, _ path: String) async throws -> [UInt8] {
        let connection = try await connect()
        defer { Task { await connection.close() } }
        let response = try await connection.request(method, path)
        guard (200..<300).contains(response.status) else {
            throw Failure(description: "\(method) \(path) answered \(response.status)")
        }
        return response.body
    }

    /// Stops the daemon: `signal`, then SIGKILL after `timeout` seconds. Removes the launcher's own
    /// files; a persistent daemon's data directory is kept.
    /// - Parameters:
    ///   - signal: the signal to send first, SIGTERM by default; SIGKILL simulates a crash.
    ///   - timeout: how long to wait for the daemon to exit before killing it.
    /// - Returns: the exit status (the signal's number if a signal ended it), or nil if it had to be killed.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 10) -> Int32? {
        if process.isRunning { kill(pid, signal) }
        let status = Self.waitForExit(process, timeout: timeout)
        try? FileManager.default.removeItem(atPath: scratch)
        return status
    }

    /// Waits for a daemon that should exit by itself, such as after a fatal error.
    /// - Parameter timeout: how long to wait.
    /// - Returns: the exit status, or nil if it was still running (it is left running).
    public func exitStatus(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}
