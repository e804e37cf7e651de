import Foundation
import SealboxClient
import SealboxTesting

/// This suite's use of SealboxTesting's launcher: the `sealboxd` built beside the test bundle.
extension SealboxTestDaemon {
    /// `$SEALBOXD`, else the `sealboxd` in the build directory that holds this test runner.
    static var builtBinary: String {
        if let path = ProcessInfo.processInfo.environment["SEALBOXD"] { return path }
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().appendingPathComponent("sealboxd").path
    }

    /// A fresh data directory, as a URL.
    static func temporaryDataDirectory() throws -> URL {
        URL(fileURLWithPath: try temporaryDirectory())
    }

    /// A persistent daemon on `dataDirectory` (a fresh one by default).
    /// - Parameters:
    ///   - dataDirectory: the data directory; kept when the daemon stops.
    ///   - arguments: more flags.
    static func persistent(_ dataDirectory: URL? = nil, arguments: [String] = []) throws -> SealboxTestDaemon {
        let directory = try dataDirectory ?? temporaryDataDirectory()
        return try start(binary: builtBinary, dataDirectory: directory.path, arguments: arguments)
    }

    /// An ephemeral daemon.
    /// - Parameter arguments: more flags.
    static func ephemeral(arguments: [String] = []) throws -> SealboxTestDaemon {
        try start(binary: builtBinary, arguments: arguments)
    }

    /// Opens a connection to the loopback TCP listener.
    func connectTCP() async throws -> SealboxConnection {
        try await SealboxConnection.connect(to: tcpEndpoint)
    }
}

extension SealboxConnection {
    /// Calls a KMS operation; returns the status and the decoded JSON body.
    func kms(_ operation: String, _ body: [String: Any] = [:]) async throws -> (Int, [String: Any], SealboxResponse) {
        let response = try await request(
            .post, "/",
            headers: [("X-Amz-Target", "TrentService.\(operation)"), ("Content-Type", "application/x-amz-json-1.1")],
            body: Array(try JSONSerialization.data(withJSONObject: body)))
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
        return (response.status, json, response)
    }
}

/// A failure of this suite's own checks, such as a process memory scan that could not run.
struct ScanError: Error, CustomStringConvertible {
    let description: String
}
