import Foundation
import SealboxCrypto

/// Signs AWS JSON requests with SigV4 as botocore does, so that a workload measures what an SDK's
/// requests cost over TCP. Written from the algorithm, apart from the daemon's verifier.
struct SigV4Signer: Sendable {
    let accessKeyID: String
    let secret: SecureBytes
    var region = "us-east-1"

    /// Reads the `sealbox` profile of a daemon's `<data-dir>/credentials`.
    /// - Parameter path: the credentials file.
    init(credentialsFile path: String) throws {
        var id: String?
        var secret: SecureBytes?
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        for line in contents.split(separator: UInt8(ascii: "\n")) {
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: line[..<equals], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            let value = line[(equals + 1)...].drop { $0 == UInt8(ascii: " ") }
            if name == "aws_access_key_id" { id = String(decoding: value, as: UTF8.self) }
            if name == "aws_secret_access_key" { secret = SecureBytes(copying: Array(value)) }
        }
        guard let id, let secret else { throw BenchError(description: "no access key in \(path)") }
        accessKeyID = id
        self.secret = secret
    }

    /// The request with `X-Amz-Date` and `Authorization` added, signed for `service` now. A
    /// signature stays valid for 15 minutes, longer than a workload's rows take.
    /// - Parameters:
    ///   - spec: an AWS JSON request (`Content-Type` and `X-Amz-Target` set).
    ///   - service: the signing name, `kms` or `ssm`.
    ///   - host: the `Host` header the connection adds (``SealboxConnection/host``).
    func sign(_ spec: RequestSpec, service: String, host: String) -> RequestSpec {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = formatter.string(from: Date())
        let day = String(amzDate.prefix(8))
        var headers = spec.headers + [("X-Amz-Date", amzDate)]
        let signed = (headers + [("Host", host)]).map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }
            .sorted { $0.0 < $1.0 }
        let names = signed.map(\.0).joined(separator: ";")
        let canonical =
            "\(spec.method.name)\n\(spec.path)\n\n" + signed.map { "\($0.0):\($0.1)\n" }.joined() + "\n\(names)\n"
            + Hex.encode(Digest.sha256(spec.body))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Hex.encode(Digest.sha256(Array(canonical.utf8))))"
        var key = try! SecureBytes(count: 4 + secret.count) { out in
            out.copyBytes(from: "AWS4".utf8)
            secret.withUnsafeBytes { (out.baseAddress! + 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        for part in [day, region, service, "aws4_request"] {
            key = Digest.hmacSHA256Secure(key: key, Array(part.utf8))
        }
        let signature = Hex.encode(Digest.hmacSHA256(key: key, Array(toSign.utf8)))
        headers.append(
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(names), Signature=\(signature)"
            ))
        return RequestSpec(method: spec.method, path: spec.path, headers: headers, body: spec.body)
    }
}
