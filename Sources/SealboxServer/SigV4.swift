import NIOHTTP1
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header, as slices of it.
struct SigV4Authorization {
    var accessKeyID: Substring
    var date: Substring
    var region: Substring
    var service: Substring
    /// `date/region/service/aws4_request`: the credential scope, as the string to sign holds it.
    var scope: Substring
    var signedHeaders: Substring
    var signature: Substring

    /// Parses the header; nil if it is not a well-formed SigV4 header. It scans the UTF-8 bytes in
    /// place: splitting by `Character` made parsing this one header a tenth of a signed request's CPU.
    init?(_ header: String) {
        var header = header
        guard let found = header.withUTF8({ Self.scan($0) }) else { return nil }
        let utf8 = header.utf8
        func slice(_ range: Range<Int>) -> Substring {
            let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            return Substring(utf8[start..<utf8.index(start, offsetBy: range.count)])
        }
        let slashes = found.slashes
        accessKeyID = slice(found.credential.lowerBound..<slashes[0])
        date = slice(slashes[0] + 1..<slashes[1])
        region = slice(slashes[1] + 1..<slashes[2])
        service = slice(slashes[2] + 1..<slashes[3])
        scope = slice(slashes[0] + 1..<found.credential.upperBound)
        signedHeaders = slice(found.signedHeaders)
        signature = slice(found.signature)
    }

    /// Where the parts of a header lie, as byte offsets.
    private struct Found {
        var credential: Range<Int>
        var signedHeaders: Range<Int>
        var signature: Range<Int>
        /// The four slashes of the credential: `id/date/region/service/aws4_request`.
        var slashes: [Int]
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Found? {
        guard bytes.hasPrefix("AWS4-HMAC-SHA256 ") else { return nil }
        var credential: Range<Int>?
        var signedHeaders: Range<Int>?
        var signature: Range<Int>?
        var start = 17
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
            defer { start = end + 1 }
            if start == end { continue }
            var equals = start
            while equals < end, bytes[equals] == UInt8(ascii: " ") { equals += 1 }
            let nameStart = equals
            while equals < end, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
            guard equals < end else { return nil }
            let name = UnsafeBufferPointer(rebasing: bytes[nameStart..<equals])
            let value = equals + 1..<end
            if name.hasPrefix("Credential", exactly: true) {
                credential = value
            } else if name.hasPrefix("SignedHeaders", exactly: true) {
                signedHeaders = value
            } else if name.hasPrefix("Signature", exactly: true) {
                signature = value
            } else {
                return nil
            }
        }
        guard let credential, let signedHeaders, let signature else { return nil }
        var slashes: [Int] = []
        for index in credential where bytes[index] == UInt8(ascii: "/") { slashes.append(index) }
        guard slashes.count == 4, slashes[0] > credential.lowerBound, slashes[1] - slashes[0] == 9,
            UnsafeBufferPointer(rebasing: bytes[(slashes[3] + 1)..<credential.upperBound]).hasPrefix(
                "aws4_request", exactly: true)
        else { return nil }
        return Found(credential: credential, signedHeaders: signedHeaders, signature: signature, slashes: slashes)
    }
}

/// Verifies AWS Signature Version 4 on requests, as botocore signs them.
public struct SigV4Verifier: Sendable {
    private let keys: @Sendable () -> [String: AccessKey]
    private let clock: any WallClock
    /// The regions a credential scope may name; looked up by the scope's slice, without a copy.
    private let regions: Set<Substring>
    private let signingKeys = SigningKeyCache()
    /// How far a request's X-Amz-Date may be from now.
    public static let maxSkew: Double = 15 * 60

    /// - Parameters:
    ///   - keys: the accepted access keys.
    ///   - clock: the time source.
    ///   - regions: the regions a credential scope may name; AWS's own by default.
    public init(keys: [AccessKey], clock: any WallClock = SystemClock(), regions: [String]? = nil) {
        let table = Dictionary(keys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.init(keys: { table }, clock: clock, regions: regions ?? AWSRegions.names)
    }

    /// - Parameters:
    ///   - keys: reads the accepted access keys, which may change on reload.
    ///   - clock: the time source.
    ///   - regions: the regions a credential scope may name.
    init(
        keys: @escaping @Sendable () -> [String: AccessKey], clock: any WallClock, regions: [String] = AWSRegions.names
    ) {
        self.keys = keys
        self.clock = clock
        self.regions = Set(regions.map { Substring($0) })
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
        let authorization = headers.first(name: "authorization").flatMap { SigV4Authorization($0) }
        return try verify(
            authorization, method: method, path: path, query: query, headers: headers, body: body, service: service)
    }

    /// ``verify(method:path:query:headers:body:service:)`` with the `Authorization` header already
    /// parsed, as the authenticator has it.
    /// - Parameter authorization: the parsed header; nil if it is missing or malformed.
    func verify(
        _ authorization: SigV4Authorization?,
        method: String,
        path: Substring,
        query: Substring,
        headers: HTTPHeaders,
        body: [UInt8],
        service: String
    ) throws(AWSError) -> (key: AccessKey, region: String) {
        guard let auth = authorization else {
            guard headers.contains(name: "authorization") else {
                throw AWSError.missingAuthenticationToken("Missing Authentication Token")
            }
            throw AWSError.incompleteSignature(
                "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.")
        }
        guard let amzDate = headers.first(name: "x-amz-date"), amzDate.utf8.count == 16,
            amzDate.utf8.starts(with: auth.date.utf8)
        else {
            throw AWSError.incompleteSignature(
                "Authorization header requires existence of a valid 'X-Amz-Date' header.")
        }
        guard let key = keys()[String(auth.accessKeyID)] else {
            throw AWSError.unrecognizedClient("The security token included in the request is invalid.")
        }
        guard auth.service.utf8.elementsEqual(service.utf8) else {
            throw AWSError.invalidSignature("Credential should be scoped to correct service: '\(service)'.")
        }
        guard regions.contains(auth.region) else {
            throw AWSError.invalidSignature("Credential should be scoped to a valid region, not '\(auth.region)'.")
        }
        guard let signedAt = Self.parseAmzDate(amzDate), abs(signedAt - clock.now()) <= Self.maxSkew else {
            throw AWSError.invalidSignature(
                "Signature expired: \(amzDate) is now earlier or later than the allowed 15 minutes.")
        }
        let signedHeaders = auth.signedHeaders.utf8.split(separator: UInt8(ascii: ";")).map {
            Self.lowercased(Substring($0))
        }
        guard signedHeaders.contains("host") else {
            throw AWSError.invalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        }
        if let unsigned = Self.unsignedAmzHeader(headers, signed: signedHeaders) {
            throw AWSError.invalidSignature("'\(unsigned)' must be a 'SignedHeader' in the AWS Authorization.")
        }
        let canonical = Self.canonicalRequest(
            method: method, path: path, query: query, headers: headers, signedHeaders: signedHeaders, body: body)
        var toSign: [UInt8] = []
        toSign.reserveCapacity(160)
        toSign.append(contentsOf: "AWS4-HMAC-SHA256\n".utf8)
        toSign.append(contentsOf: amzDate.utf8)
        toSign.append(UInt8(ascii: "\n"))
        toSign.append(contentsOf: auth.scope.utf8)
        toSign.append(UInt8(ascii: "\n"))
        toSign.append(contentsOf: Hex.encodeASCII(Digest.sha256(canonical)))
        let expected = Hex.encodeASCII(Digest.hmacSHA256(key: signingKeys.key(for: key, auth), toSign))
        guard Sodium.constantTimeEquals(expected, Array(auth.signature.utf8)) else {
            throw AWSError.invalidSignature(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
            )
        }
        return (key, String(auth.region))
    }

    /// The first `x-amz-*` header of the request that the signature does not cover, if any. Each one
    /// (`X-Amz-Target`, which names the operation, `X-Amz-Date`, `X-Amz-Security-Token`...) must be
    /// signed, as botocore signs it, or a captured signature could be replayed with another value.
    /// Compares bytes in place: no allocation per request.
    /// - Parameters:
    ///   - headers: the request headers.
    ///   - signed: the signed header names, lowercase.
    static func unsignedAmzHeader(_ headers: HTTPHeaders, signed: [String]) -> String? {
        for (name, _) in headers where hasAmzPrefix(name) {
            var found = false
            for candidate in signed where equalIgnoringASCIICase(candidate, name) {
                found = true
                break
            }
            if !found { return name }
        }
        return nil
    }

    /// Whether `name` starts with `x-amz-`, in any case.
    private static func hasAmzPrefix(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard utf8.count >= 6 else { return false }
        var index = utf8.startIndex
        for expected in "x-amz-".utf8 {
            guard utf8[index] | 0x20 == expected else { return false }
            index = utf8.index(after: index)
        }
        return true
    }

    /// Whether a lowercase header name and a header name as sent are equal, ignoring ASCII case.
    private static func equalIgnoringASCIICase(_ lowercase: String, _ name: String) -> Bool {
        let (left, right) = (lowercase.utf8, name.utf8)
        guard left.count == right.count else { return false }
        var (l, r) = (left.startIndex, right.startIndex)
        while l < left.endIndex {
            let (lower, byte) = (left[l], right[r])
            guard byte == lower || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") && byte | 0x20 == lower)
            else { return false }
            l = left.index(after: l)
            r = right.index(after: r)
        }
        return true
    }

    /// The canonical request of SigV4, as bytes: the signed headers in the order the client listed
    /// them, each with its values trimmed and joined by commas as botocore joins them.
    static func canonicalRequest(
        method: String,
        path: Substring,
        query: Substring,
        headers: HTTPHeaders,
        signedHeaders: [String],
        body: [UInt8]
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: method.utf8)
        out.append(UInt8(ascii: "\n"))
        if path.isEmpty { out.append(UInt8(ascii: "/")) } else { out.append(contentsOf: path.utf8) }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: canonicalQuery(query).utf8)
        out.append(UInt8(ascii: "\n"))
        for name in signedHeaders {
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: ":"))
            for (index, value) in headers[name].enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendTrimmed(value, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
        for (index, name) in signedHeaders.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ";")) }
            out.append(contentsOf: name.utf8)
        }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: Hex.encodeASCII(Digest.sha256(body)))
        return out
    }

    /// The name in lowercase; botocore sends lowercase names, which are kept without a conversion.
    static func lowercased(_ name: Substring) -> String {
        name.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? name.lowercased() : String(name)
    }

    /// Appends a header value with its ends trimmed and each run of spaces and tabs inside made one space,
    /// as SigV4's canonical headers require.
    static func appendTrimmed(_ value: String, to out: inout [UInt8]) {
        var pendingSpace = false
        var started = false
        for byte in value.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                pendingSpace = started
                continue
            }
            if pendingSpace { out.append(UInt8(ascii: " ")) }
            out.append(byte)
            pendingSpace = false
            started = true
        }
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
    /// - Parameters:
    ///   - bytes: the text.
    ///   - out: where the decoded bytes go.
    ///   - plusIsSpace: whether `+` is a space, as in a query; in a path it is itself.
    /// - Returns: how many bytes were written.
    static func percentDecode(
        _ bytes: some Collection<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>, plusIsSpace: Bool = true
    ) -> Int {
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
            out[count] = plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte
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
