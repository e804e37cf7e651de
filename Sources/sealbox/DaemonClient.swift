import ArgumentParser
import Foundation
import SealboxAPI
import SealboxClient

/// A failure to report on stderr with exit code 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
}

/// One connection to sealboxd for one command: AWS JSON 1.1 calls for KMS and SSM, and Sealbox's
/// native `/v1/...` endpoints.
struct DaemonClient {
    let socketPath: String
    /// The region AWS calls act in; nil for the daemon's `--region`.
    var region: String? = nil

    /// Calls an AWS operation, such as `TrentService.CreateKey` or `AmazonSSM.GetParameter`.
    /// - Parameters:
    ///   - target: the `X-Amz-Target`.
    ///   - body: the request members.
    func aws(_ target: String, _ body: [String: Any] = [:]) async throws -> [String: Any] {
        var headers = [("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-1.1")]
        if let region { headers.append(("Authorization", Self.scope(region, target: target))) }
        let response = try await send(
            .post, NativePath.aws, headers: headers, body: try JSONSerialization.data(withJSONObject: body))
        try Self.check(response)
        guard
            let object = response.body.isEmpty
                ? [:] : (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        else { throw CLIError(description: Self.notJSON) }
        return object
    }

    /// An `Authorization` header that names `region` in its credential scope. The socket identifies
    /// callers by uid and reads only the scope from this header, which is therefore not signed.
    static func scope(_ region: String, target: String) -> String {
        let service = target.hasPrefix("AmazonSSM.") ? "ssm" : "kms"
        return "AWS4-HMAC-SHA256 Credential=sealbox-cli/20000101/\(region)/\(service)/aws4_request, "
            + "SignedHeaders=host, Signature=unsigned"
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

    /// Calls a native endpoint with a JSON body.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query, from `NativePath`.
    ///   - body: the request, from SealboxAPI.
    ///   - answer: the response type.
    func native<Answer: Decodable>(
        _ method: SealboxMethod,
        _ path: String,
        _ body: some Encodable,
        answer: Answer.Type = Answer.self
    ) async throws -> Answer {
        let response = try await send(
            method, path, headers: [("Content-Type", "application/json")], body: try JSONEncoder().encode(body))
        return try Self.decode(Answer.self, response)
    }

    /// Calls a native endpoint that takes no body.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query, from `NativePath`.
    ///   - answer: the response type.
    func native<Answer: Decodable>(
        _ method: SealboxMethod,
        _ path: String,
        answer: Answer.Type = Answer.self
    ) async throws -> Answer {
        let response = try await send(method, path, headers: [("Content-Type", "application/json")], body: Data())
        return try Self.decode(Answer.self, response)
    }

    /// Calls a native endpoint with a raw body (fixture text).
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path.
    ///   - body: the bytes.
    ///   - answer: the response type.
    func nativeRaw<Answer: Decodable>(
        _ method: SealboxMethod,
        _ path: String,
        body: [UInt8],
        answer: Answer.Type = Answer.self
    ) async throws -> Answer {
        try Self.decode(Answer.self, try await send(method, path, headers: [], body: Data(body)))
    }

    /// Calls a native endpoint that answers text (a fixture export).
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query.
    func text(_ method: SealboxMethod, _ path: String) async throws -> String {
        String(decoding: try await bytes(method, path), as: UTF8.self)
    }

    /// Calls a native endpoint that answers raw bytes (a backup).
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query.
    func bytes(_ method: SealboxMethod, _ path: String) async throws -> [UInt8] {
        let response = try await send(method, path, headers: [], body: Data())
        try Self.check(response)
        return response.body
    }

    private func send(
        _ method: SealboxMethod,
        _ path: String,
        headers: [(String, String)],
        body: Data
    ) async throws -> SealboxResponse {
        let connection: SealboxConnection
        do {
            connection = try await SealboxConnection.connect(to: .unixSocket(path: socketPath))
        } catch let error as SealboxUntrustedDaemonError {
            throw CLIError(description: error.description)
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

    private static let notJSON = "sealboxd answered something that is not JSON"

    /// The code and message of a native (`error`, `message`) or AWS-shaped (`__type`, `Message`) error.
    private struct ErrorAnswer: Decodable {
        var type: String?
        var error: String?
        var message: String?
        var capitalMessage: String?

        enum CodingKeys: String, CodingKey {
            case type = "__type"
            case error
            case message
            case capitalMessage = "Message"
        }
    }

    /// Throws the daemon's error for a non-2xx answer: `code: message`, or the code alone.
    private static func check(_ response: SealboxResponse) throws {
        guard !(200..<300).contains(response.status) else { return }
        let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: Data(response.body))
        let code = answer?.type ?? answer?.error ?? "HTTP \(response.status)"
        let message = answer?.message ?? answer?.capitalMessage ?? ""
        throw CLIError(description: message.isEmpty ? code : "\(code): \(message)")
    }

    private static func decode<Answer: Decodable>(_ type: Answer.Type, _ response: SealboxResponse) throws -> Answer {
        try check(response)
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)) else {
            throw CLIError(description: notJSON)
        }
        return answer
    }
}
