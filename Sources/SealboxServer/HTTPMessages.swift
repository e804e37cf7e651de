import NIOCore
import NIOHTTP1
import NIOPosix
import SealboxAPI
import SealboxAWS
import SealboxCore
import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Which listener a connection came through, and who is at the other end.
public struct ConnectionInfo: Sendable {
    /// The transport.
    public enum Transport: Sendable {
        /// The Unix socket; the peer is identified once at accept (nil if that failed).
        case unix(PeerIdentity?)
        /// Loopback TCP; requests must authenticate themselves.
        case tcp
    }

    public var transport: Transport
    /// The port the TCP listener is bound to, which a `Host` header may name; 0 on the Unix socket.
    public var localPort: Int

    /// - Parameters:
    ///   - transport: the listener kind and peer.
    ///   - localPort: the TCP listener's port.
    public init(transport: Transport, localPort: Int = 0) {
        self.transport = transport
        self.localPort = localPort
    }
}

/// A fully received HTTP request.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    public var connection: ConnectionInfo

    /// - Parameters:
    ///   - head: method, URI and headers.
    ///   - body: the whole body.
    ///   - connection: where it came from.
    public init(head: HTTPRequestHead, body: [UInt8], connection: ConnectionInfo) {
        self.head = head
        self.body = body
        self.connection = connection
        // Split once: routing and signing read these on every request. Searched as bytes: a
        // Character search walks grapheme clusters.
        (path, query) = Self.split(head.uri)
    }

    /// The path and the query of a request target.
    /// - Parameter uri: the request target.
    static func split(_ uri: String) -> (path: Substring, query: Substring) {
        var text = uri
        // memchr over the bytes: the UTF-8 view's generic firstIndex(of:) went through protocol
        // witnesses per byte.
        let offset = text.withUTF8 { bytes -> Int? in
            guard let base = bytes.baseAddress, let mark = memchr(base, Int32(UInt8(ascii: "?")), bytes.count)
            else { return nil }
            return base.distance(to: mark.assumingMemoryBound(to: UInt8.self))
        }
        guard let offset else { return (uri[...], uri[uri.endIndex...]) }
        let mark = uri.utf8.index(uri.utf8.startIndex, offsetBy: offset)
        return (uri[..<mark], uri[uri.utf8.index(after: mark)...])
    }

    /// The path's non-empty segments: `/v1/leases/ID/redeem` gives `v1`, `leases`, `ID`, `redeem`.
    var pathSegments: PathSegments { PathSegments(path) }

    /// The path without the query string.
    public let path: Substring

    /// The raw query string, without the `?`.
    public let query: Substring

    /// The query's `name=value` pairs, percent-decoded; a name without `=` maps to "", and a
    /// repeated name keeps its last value.
    public var queryItems: [String: String] {
        var query = query
        return query.withUTF8 { bytes in
            var items: [String: String] = [:]
            Self.forEachPair(in: bytes) { name, value in items[Self.decoded(name)] = Self.decoded(value) }
            return items
        }
    }

    /// The value of the query's last pair named `name`, percent-decoded, as in ``queryItems``.
    /// The extension API reads a few names per request: each is found by scanning the bytes, with
    /// no dictionary and no string but the value's.
    /// - Parameter name: the decoded name.
    public func queryItem(_ name: String) -> String? {
        var query = query
        var name = name
        return query.withUTF8 { bytes in
            name.withUTF8 { wanted in
                var found: UnsafeBufferPointer<UInt8>? = nil
                Self.forEachPair(in: bytes) { key, value in
                    let same =
                        Self.needsDecoding(key)
                        ? Self.decoded(key).utf8.elementsEqual(wanted)
                        : UnsafeRawBufferPointer(key).sameBytes(as: UnsafeRawBufferPointer(wanted))
                    if same { found = value }
                }
                return found.map(Self.decoded)
            }
        }
    }

    /// Calls `body` with the name and value of each non-empty `&`-separated item, split at its
    /// first `=`; the value is empty when there is none.
    private static func forEachPair(
        in query: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void
    ) {
        var start = 0
        while start < query.count {
            let end = query[start...].firstIndex(of: UInt8(ascii: "&")) ?? query.count
            if start < end {
                let item = UnsafeBufferPointer(rebasing: query[start..<end])
                let equals = item.firstIndex(of: UInt8(ascii: "=")) ?? item.count
                body(
                    UnsafeBufferPointer(rebasing: item[..<equals]),
                    UnsafeBufferPointer(rebasing: item[min(equals + 1, item.count)...]))
            }
            start = end + 1
        }
    }

    private static func needsDecoding(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }
    }

    private static func decoded(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        // Most names and values have nothing to decode: no byte-by-byte copy for them. Pieces split
        // at ASCII bytes of a String are whole UTF-8.
        guard needsDecoding(bytes) else { return String(decoding: bytes, as: UTF8.self) }
        // Decoded straight into the string's storage (invalid UTF-8 is repaired, as by
        // `String(decoding:as:)`): one allocation, not two.
        return String(unsafeUninitializedCapacity: bytes.count) { SigV4Verifier.percentDecode(bytes, into: $0) }
    }
}

/// An HTTP response, ready to write.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ResponseBody
    /// The request's audit record; the response is sent only once it is written.
    public var audit: AuditEntry?
    /// The action it answered (`kms:Decrypt`...), for metrics.
    public var operation: Action?
    /// The endpoint family it counts under, for metrics; set by routing.
    var family = ServerMetrics.Family.other

    /// - Parameters:
    ///   - status: the status.
    ///   - headers: extra headers; Content-Length is added when written.
    ///   - body: the body.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ResponseBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from an encodable value, for native endpoints.
    /// - Parameters:
    ///   - status: the status.
    ///   - value: the body.
    public static func json(_ status: HTTPResponseStatus, _ value: some Encodable) -> HTTPResponse {
        HTTPResponse(status: status, headers: .json, body: NativeJSON.encode(value))
    }

    /// A native 4xx/5xx error: `{"error": code, "message": text}`.
    /// - Parameters:
    ///   - status: the status.
    ///   - code: a short machine-readable code.
    ///   - message: a human-readable reason; never a secret.
    public static func error(_ status: HTTPResponseStatus, code: String, message: String) -> HTTPResponse {
        json(status, NativeErrorBody(error: code, message: message))
    }
}

extension HTTPHeaders {
    /// `Content-Type: application/json`, made once: a literal allocated its storage on every answer.
    static let json: HTTPHeaders = ["Content-Type": "application/json"]
}

/// The result of routing: most requests finish on the event loop; writes finish later.
public enum RouteResult: Sendable {
    case now(HTTPResponse)
    case later(EventLoopFuture<HTTPResponse>)

    /// Work that blocks (store writes, scans) run on the thread pool; 503 once it shuts down.
    /// - Parameters:
    ///   - pool: the thread pool.
    ///   - eventLoop: where the answer is delivered.
    ///   - work: makes the response.
    static func offLoop(
        _ pool: NIOThreadPool,
        _ eventLoop: any EventLoop,
        _ work: @escaping @Sendable () -> HTTPResponse
    ) -> RouteResult {
        .later(
            pool.runIfActive(eventLoop: eventLoop, work).recover { _ in
                .error(.serviceUnavailable, code: "ShuttingDown", message: "The daemon is shutting down.")
            })
    }
}

/// The non-empty segments of a request path, kept as bounds in the path: routing reads a few on
/// every request, and an array of substrings was an allocation per request.
struct PathSegments {
    /// How many segments can be read; the routes that read them have at most four.
    static let capacity = 8

    private let path: Substring
    /// Each readable segment's start and end.
    private let bounds: InlineArray<16, String.Index>
    /// How many segments the path has, including any past ``capacity``.
    let count: Int

    /// Splits `path` at its slashes, as bytes: a Character-based split walks grapheme clusters.
    /// - Parameter path: a request path.
    init(_ path: Substring) {
        self.path = path
        var text = path
        // Offsets first, in a loop that captures nothing: mutating captured state from a nested
        // function kept it boxed and access-checked on every byte.
        let (offsets, count) = text.withUTF8 { bytes -> (InlineArray<16, Int>, Int) in
            var offsets = InlineArray<16, Int>(repeating: 0)
            var (count, start) = (0, 0)
            for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "/") {
                if start < index {
                    if count < Self.capacity { (offsets[2 * count], offsets[2 * count + 1]) = (start, index) }
                    count += 1
                }
                start = index + 1
            }
            return (offsets, count)
        }
        var bounds = InlineArray<16, String.Index>(repeating: path.startIndex)
        let utf8 = path.utf8
        for slot in 0..<2 * min(count, Self.capacity) {
            bounds[slot] = utf8.index(utf8.startIndex, offsetBy: offsets[slot])
        }
        self.bounds = bounds
        self.count = count
    }

    /// The segment at `index`, which must be below both ``count`` and ``capacity``.
    subscript(index: Int) -> Substring {
        precondition(index < min(count, Self.capacity), "path segment \(index) of \(count)")
        return path[bounds[2 * index]..<bounds[2 * index + 1]]
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes start with `prefix` (or, `exactly`, are it). Compared with `memcmp`: the
    /// generic `starts(with:)` iterated byte by byte, twice per request in routing and metrics.
    /// - Parameters:
    ///   - prefix: ASCII text.
    ///   - exactly: require the whole buffer to match.
    func hasPrefix(_ prefix: StaticString, exactly: Bool = false) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard exactly ? count == length : count >= length else { return false }
        return length == 0 || memcmp(baseAddress!, prefix.utf8Start, length) == 0
    }
}
