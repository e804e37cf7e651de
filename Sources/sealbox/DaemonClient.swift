import ArgumentParser
import Foundation
import NIOHTTP1
import SealboxClient

/// A failure to report on stderr with exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
}

/// One connection to sealboxd for one command: AWS JSON 1.1 calls for KMS and SSM, and Sealbox's
/// native `/v1/...` endpoints.
struct DaemonClient {
    let socketPath: String

    /// Calls an AWS operation, such as `TrentService.CreateKey` or `AmazonSSM.GetParameter`.
    /// - Parameters:
    ///   - target: the `X-Amz-Target`.
    ///   - body: the request members.
    func aws(_ target: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        let response = try await send(
            .POST, "/", headers: [("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-1.1")],
            body: try JSONSerialization.data(withJSONObject: body))
        return try Self.object(response)
    }

    /// Calls a paged AWS list operation until the last page, and returns every page's `items`. KMS
    /// pages with `Marker`/`NextMarker`/`Truncated`, SSM with `NextToken`; both are followed.
    /// - Parameters:
    ///   - target: the `X-Amz-Target`.
    ///   - body: the request members, without the page token.
    ///   - items: the member that holds each page's items.
    func awsAll(_ target: String, _ body: [String: Any], items: String) async throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        var request = body
        while true {
            let page = try await aws(target, request)
            all += page[items] as? [[String: Any]] ?? []
            if let token = page["NextToken"] as? String {
                request["NextToken"] = token
            } else if page["Truncated"] as? Bool == true, let marker = page["NextMarker"] as? String {
                request["Marker"] = marker
            } else {
                return all
            }
        }
    }

    /// Calls a native endpoint.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query.
    ///   - body: the JSON body, if any.
    func native(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let response = try await send(
            method, path, headers: [("Content-Type", "application/json")],
            body: try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data())
        return try Self.object(response)
    }

    /// Calls a native endpoint with a raw body (fixture text).
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path.
    ///   - body: the bytes.
    func nativeRaw(_ method: HTTPMethod, _ path: String, body: [UInt8]) async throws -> [String: Any] {
        try Self.object(try await send(method, path, headers: [], body: Data(body)))
    }

    /// Calls a native endpoint that answers text (a fixture export).
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query.
    func text(_ method: HTTPMethod, _ path: String) async throws -> String {
        String(decoding: try await bytes(method, path), as: UTF8.self)
    }

    /// Calls a native endpoint that answers raw bytes (a backup).
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query.
    func bytes(_ method: HTTPMethod, _ path: String) async throws -> [UInt8] {
        let response = try await send(method, path, headers: [], body: Data())
        guard (200..<300).contains(response.status) else {
            _ = try Self.object(response)
            throw CLIError(description: "HTTP \(response.status)")
        }
        return response.body
    }

    private func send(
        _ method: HTTPMethod,
        _ path: String,
        headers: [(String, String)],
        body: Data
    ) async throws -> SealboxResponse {
        let connection: SealboxConnection
        do {
            connection = try await SealboxConnection.connect(to: .unixSocket(path: socketPath))
        } catch {
            throw CLIError(description: Self.unreachable(socketPath))
        }
        defer { Task { await connection.close() } }
        do {
            return try await connection.request(method, path, headers: headers, body: Array(body))
        } catch {
            throw CLIError(description: "sealboxd at \(socketPath) closed the connection before answering")
        }
    }

    /// Why the socket could not be reached, and what to do about it.
    static func unreachable(_ path: String) -> String {
        var reason = "cannot reach sealboxd at \(path)"
        var info = stat()
        if stat(path, &info) != 0 {
            reason +=
                ": no socket there. Is the daemon running? Start it with `make run` (or `sealboxd --data-dir DIR`), or point --socket / SEALBOX_SOCKET at its socket."
        } else if access(path, R_OK | W_OK) != 0 {
            reason +=
                ": permission denied. The socket is mode 0660: run as the daemon's user, or join its group (for example `sealbox`)."
        } else {
            reason += ": nothing is listening (a stale socket?). Is the daemon running? Start it with `make run`."
        }
        return reason
    }

    private static func object(_ response: SealboxResponse) throws -> [String: Any] {
        let parsed =
            response.body.isEmpty
            ? [:] : (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard (200..<300).contains(response.status) else {
            let code = (parsed?["__type"] ?? parsed?["error"]) as? String ?? "HTTP \(response.status)"
            let message = (parsed?["message"] ?? parsed?["Message"]) as? String ?? ""
            throw CLIError(description: message.isEmpty ? code : "\(code): \(message)")
        }
        guard let parsed else { throw CLIError(description: "sealboxd answered something that is not JSON") }
        return parsed
    }
}
