import NIOHTTP1
import SealboxCore
import SealboxCrypto

/// An access key the daemon accepts on TCP, with its secret in guarded memory.
public struct AccessKey: Sendable {
    public var id: String
    public var secret: SecureBytes
    /// Who requests signed with it act as.
    public var principal: String

    /// - Parameters:
    ///   - id: the access key id.
    ///   - secret: the secret access key.
    ///   - principal: the policy principal it maps to.
    public init(id: String, secret: SecureBytes, principal: String) {
        self.id = id
        self.secret = secret
        self.principal = principal
    }
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct SigV4Authorization {
    var accessKeyID: String
    var date: Substring
    var region: String
    var service: String
    var signedHeaders: [Substring]
    var signature: Substring

    /// Parses the header; nil if it is not a well-formed SigV4 header.
    init?(_ header: String) {
        guard header.hasPrefix("AWS4-HMAC-SHA256 ") else { return nil }
        var credential: Substring?
        var signedHeaders: Substring?
        var signature: Substring?
        for part in header.dropFirst(17).split(separator: ",") {
            let item = part.drop { $0 == " " }
            guard let equals = item.firstIndex(of: "=") else { return nil }
            let value = item[item.index(after: equals)...]
            switch item[..<equals] {
            case "Credential": credential = value
            case "SignedHeaders": signedHeaders = value
            case "Signature": signature = value
            default: return nil
            }
        }
        guard let credential, let signedHeaders, let signature else { return nil }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false)
        guard scope.count == 5, scope[4] == "aws4_request", scope[1].count == 8, !scope[0].isEmpty else { return nil }
        accessKeyID = String(scope[0])
        date = scope[1]
        region = String(scope[2])
        service = String(scope[3])
        self.signedHeaders = signedHeaders.split(separator: ";")
        self.signature = signature
    }

    /// The region of the credential scope, without verifying anything.
    static func region(of headers: HTTPHeaders) -> String? {
        headers.first(name: "authorization").flatMap { SigV4Authorization($0) }?.region
    }
}

/// Verifies AWS Signature Version 4 on requests, as botocore signs them.
public struct SigV4Verifier: Sendable {
    private let keys: @Sendable () -> [String: AccessKey]
    private let clock: any WallClock
    /// How far a request's X-Amz-Date may be from now.
    public static let maxSkew: Double = 15 * 60

    /// - Parameters:
    ///   - keys: the accepted access keys.
    ///   - clock: the time source.
    public init(keys: [AccessKey], clock: any WallClock = SystemClock()) {
        let table = Dictionary(keys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.init(keys: { table }, clock: clock)
    }

    /// - Parameters:
    ///   - keys: reads the accepted access keys, which may change on reload.
    ///   - clock: the time source.
    init(keys: @escaping @Sendable () -> [String: AccessKey], clock: any WallClock) {
        self.keys = keys
        self.clock = clock
    }

    /// Checks a request's signature.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the request path as sent.
    ///   - query: the raw query string.
    ///   - headers: the request headers.
    ///   - body: the request body.
    ///   - service: the signing name the endpoint expects (`kms`, `ssm`).
    /// - Returns: the access key and the scope's region.
    public func verify(
        method: String,
        path: Substring,
        query: Substring,
        headers: HTTPHeaders,
        body: [UInt8],
        service: String
    ) throws(AWSError) -> (key: AccessKey, region: String) {
        guard let header = headers.first(name: "authorization") else {
            throw AWSError.missingAuthenticationToken("Missing Authentication Token")
        }
        guard let auth = SigV4Authorization(header) else {
            throw AWSError.incompleteSignature(
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.")
        }
        guard let amzDate = headers.first(name: "x-amz-date"), amzDate.count == 16, amzDate.hasPrefix(auth.date) else {
            throw AWSError.incompleteSignature(
                "Authorization header requires existence of a valid 'X-Amz-Date' header.")
        }
        guard let key = keys()[auth.accessKeyID] else {
            throw AWSError.unrecognizedClient("The security token included in the request is invalid.")
        }
        guard auth.service == service else {
            throw AWSError.invalidSignature("Credential should be scoped to correct service: '\(service)'.")
        }
        guard let signedAt = Self.parseAmzDate(amzDate), abs(signedAt - clock.now()) <= Self.maxSkew else {
            throw AWSError.invalidSignature(
                "Signature expired: \(amzDate) is now earlier or later than the allowed 15 minutes.")
        }
        let lowered = auth.signedHeaders.map { $0.lowercased() }
        guard lowered.contains("host") else {
            throw AWSError.invalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        }
        var canonical = "\(method)\n\(Self.canonicalPath(path))\n\(Self.canonicalQuery(query))\n"
        for name in lowered {
            let values = headers[canonicalForm: name].map { Self.trim($0) }
            canonical += "\(name):\(values.joined(separator: ","))\n"
        }
        canonical += "\n\(lowered.joined(separator: ";"))\n\(Hex.encode(Digest.sha256(body)))"
        let scope = "\(auth.date)/\(auth.region)/\(auth.service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Hex.encode(Digest.sha256(Array(canonical.utf8))))"
        let prefixed = try! SecureBytes(count: 4 + key.secret.count) { out in
            out.copyBytes(from: "AWS4".utf8)
            key.secret.withUnsafeBytes { (out.baseAddress! + 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        var signingKey = Digest.hmacSHA256Secure(key: prefixed, Array(auth.date.utf8))
        for part in [auth.region, auth.service, "aws4_request"] {
            signingKey = Digest.hmacSHA256Secure(key: signingKey, Array(part.utf8))
        }
        let expected = Hex.encode(Digest.hmacSHA256(key: signingKey, Array(toSign.utf8)))
        guard Sodium.constantTimeEquals(Array(expected.utf8), Array(auth.signature.utf8)) else {
            throw AWSError.invalidSignature(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
            )
        }
        return (key, auth.region)
    }

    static func trim(_ value: Substring) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func canonicalPath(_ path: Substring) -> String {
        path.isEmpty ? "/" : String(path)
    }

    /// Query parameters sorted by name then value, each URI-encoded as SigV4 requires.
    static func canonicalQuery(_ query: Substring) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = encode(percentDecode(parts[0]))
            let value = parts.count > 1 ? encode(percentDecode(parts[1])) : ""
            return (name, value)
        }
        return pairs.sorted { $0 < $1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var out = ""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + Hex.encode([byte]).uppercased()
            }
        }
        return out
    }

    /// Decodes `%XX` escapes and `+` (as a space), as query strings carry them. A `%` that does not
    /// start an escape is kept as it is, with what follows it, as Python's `unquote_plus` keeps it.
    static func percentDecode(_ text: Substring) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: text.utf8.count) { buffer, count in
            count = percentDecode(text.utf8, into: buffer)
        }
    }

    /// ``percentDecode(_:)`` of UTF-8 bytes into `out`, which has room for as many bytes.
    /// - Returns: how many bytes were written.
    static func percentDecode(_ bytes: some Collection<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            if byte == UInt8(ascii: "%"), index < bytes.endIndex, let high = Hex.value(ofDigit: bytes[index]) {
                let next = bytes.index(after: index)
                if next < bytes.endIndex, let low = Hex.value(ofDigit: bytes[next]) {
                    out[count] = high << 4 | low
                    count += 1
                    index = bytes.index(after: next)
                    continue
                }
            }
            out[count] = byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte
            count += 1
        }
        return count
    }

    /// Parses `yyyyMMdd'T'HHmmss'Z'` into seconds since the epoch.
    static func parseAmzDate(_ text: String) -> Double? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 16, utf8[8] == UInt8(ascii: "T"), utf8[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in utf8[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second)
    }
}
