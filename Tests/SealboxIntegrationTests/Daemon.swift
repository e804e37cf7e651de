import Foundation
import SealboxClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `sealboxd` binary, started as a child process on a temporary data dir.
final class Daemon {
    let dataDir: URL
    let process = Process()
    let stdoutPath: URL
    let stderrPath: URL
    private(set) var tcpPort: Int?
    private(set) var socketPath: String?

    /// The binary built next to this test bundle, or `$SEALBOXD`.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["SEALBOXD"] { return URL(fileURLWithPath: path) }
        // The test runner lives in the build directory, next to the products.
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().appendingPathComponent("sealboxd")
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-it-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts the daemon and waits for its ready line.
    init(dataDir: URL = Daemon.temporaryDirectory(), arguments: [String] = [], waitForReady: Bool = true) throws {
        self.dataDir = dataDir
        stdoutPath = dataDir.deletingLastPathComponent().appendingPathComponent("\(dataDir.lastPathComponent).out")
        stderrPath = dataDir.deletingLastPathComponent().appendingPathComponent("\(dataDir.lastPathComponent).err")
        _ = FileManager.default.createFile(atPath: stdoutPath.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath.path, contents: nil)
        process.executableURL = Self.binary
        process.arguments = ["--data-dir", dataDir.path, "--listen", "127.0.0.1:0"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: stdoutPath)
        process.standardError = try FileHandle(forWritingTo: stderrPath)
        try process.run()
        if waitForReady { try self.waitForReady() }
    }

    var stderr: String { (try? String(contentsOf: stderrPath, encoding: .utf8)) ?? "" }

    private func waitForReady() throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let text = (try? String(contentsOf: stdoutPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, text.contains("\n"),
                let ready = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            {
                if let tcp = ready["tcp"] as? String { tcpPort = Int(tcp.split(separator: ":").last!) }
                socketPath = ready["socket"] as? String
                return
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw DaemonError(description: "sealboxd did not become ready:\n\(stderr)")
    }

    /// Sends a signal and waits (bounded) for the process to exit.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 10) -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Waits (bounded) for a daemon that should exit on its own.
    func exitStatus(timeout: TimeInterval = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func connect() async throws -> SealboxConnection {
        try await SealboxConnection.connect(to: .unixSocket(path: try #require(socketPath)))
    }

    func connectTCP() async throws -> SealboxConnection {
        try await SealboxConnection.connect(to: .tcp(host: "127.0.0.1", port: try #require(tcpPort)))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct DaemonError: Error, CustomStringConvertible {
    let description: String
}

extension SealboxConnection {
    /// Calls a KMS operation; returns the status and the decoded JSON body.
    func kms(_ operation: String, _ body: [String: Any] = [:]) async throws -> (Int, [String: Any], SealboxResponse) {
        let response = try await request(
            .POST, "/",
            headers: [("X-Amz-Target", "TrentService.\(operation)"), ("Content-Type", "application/x-amz-json-1.1")],
            body: Array(try JSONSerialization.data(withJSONObject: body)))
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
        return (response.status, json, response)
    }
}
