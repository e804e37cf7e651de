import NIOCore
import NIOHTTP1
import SealboxAWS
import SealboxCore

/// Writes a response as HTTP/1.1 bytes (status line, headers, framing and body) into one buffer.
///
/// It stands in for NIO's `HTTPResponseEncoder` and response header validator. Every answer here has
/// a body of known length, so one buffer is one pipeline write and one iovec instead of three.
enum ResponseEncoder {
    /// Appends `response` to `buffer`.
    ///
    /// The answer to a `HEAD` request keeps the `Content-Length` of the body it leaves out. Answers to
    /// a `CONNECT` request (RFC 9110 §9.3.6) and 1xx, 204 and 304 answers (§8.6) have neither, as NIO's
    /// encoder frames them.
    /// - Parameters:
    ///   - response: the response.
    ///   - method: the method of the request it answers.
    ///   - keepAlive: whether the connection stays open; if not, the answer says `Connection: close`.
    ///   - buffer: where the bytes go.
    /// - Returns: where the body's bytes are in `buffer` (empty when left out), so that a secret can be
    ///   wiped once written; nil if a header is not valid HTTP, and then nothing was appended.
    static func encode(
        _ response: HTTPResponse, method: HTTPMethod, keepAlive: Bool, into buffer: inout ByteBuffer
    ) -> Range<Int>? {
        guard response.headers.allSatisfy({ isToken($0.name) && isFieldValue($0.value) }) else { return nil }
        let bodyCount: Int
        switch response.body {
        case .json(let bytes): bodyCount = bytes.count
        case .sensitive(let secret): bodyCount = secret.count
        }
        buffer.writeStaticString("HTTP/1.1 ")
        writeDecimal(Int(response.status.code), into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in response.headers where !isFraming(name) {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        let code = response.status.code
        // Matched by case: `==` on HTTPMethod compared the methods' names, on every answer.
        let (connect, head) =
            switch method {
            case .CONNECT: (true, false)
            case .HEAD: (false, true)
            default: (false, false)
            }
        let bodiless = connect || code < 200 || code == 204 || code == 304
        if !bodiless {
            buffer.writeStaticString("Content-Length: ")
            writeDecimal(bodyCount, into: &buffer)
            buffer.writeStaticString("\r\n")
        }
        if !keepAlive { buffer.writeStaticString("Connection: close\r\n") }
        buffer.writeStaticString("\r\n")
        let start = buffer.writerIndex
        guard !head, !bodiless else { return start..<start }
        switch response.body {
        case .json(let bytes): buffer.writeBytes(bytes)
        case .sensitive(let secret): secret.withUnsafeBytes { _ = buffer.writeBytes($0) }
        }
        return start..<buffer.writerIndex
    }

    /// The framing headers this encoder writes itself; a response's own are dropped.
    private static func isFraming(_ name: String) -> Bool {
        name.caseInsensitiveEquals("Content-Length") || name.caseInsensitiveEquals("Connection")
            || name.caseInsensitiveEquals("Transfer-Encoding")
    }

    /// A header name: one or more `tchar`s (RFC 9110 §5.6.2).
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                // One switch: searching a string of the other tchars for every byte showed per answer.
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "!"), UInt8(ascii: "#")...UInt8(ascii: "'"),
                    UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"),
                    UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                    return true
                default: return false
                }
            }
    }

    /// A header value: no CR, LF or NUL, which would split or end the header block.
    static func isFieldValue(_ value: String) -> Bool {
        !value.utf8.contains { $0 == 0x0d || $0 == 0x0a || $0 == 0 }
    }

    private static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        JSONText.withDecimalDigits(of: UInt64(value)) { _ = buffer.writeBytes($0) }
    }
}

extension String {
    /// ASCII case-insensitive equality with a header name of letters and `-`, as header names compare.
    fileprivate func caseInsensitiveEquals(_ other: StaticString) -> Bool {
        guard utf8.count == other.utf8CodeUnitCount else { return false }
        return other.withUTF8Buffer { expected in
            zip(utf8, expected).allSatisfy { ($0 | 0x20) == ($1 | 0x20) }
        }
    }
}
