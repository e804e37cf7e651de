import NIOCore
import NIOHTTP1
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxServer

@Suite struct ResponseEncoderTests {
    private func encode(
        _ response: HTTPResponse, method: HTTPMethod = .GET, keepAlive: Bool = true
    ) -> (text: String, body: Range<Int>)? {
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        guard let body = ResponseEncoder.encode(response, method: method, keepAlive: keepAlive, into: &buffer) else {
            return nil
        }
        return (String(buffer: buffer), body)
    }

    private let json = HTTPResponse(
        status: .ok, headers: ["Content-Type": "application/json"], body: .json(Array(#"{"a":1}"#.utf8)))

    @Test func statusHeadersLengthAndBody() throws {
        let (text, body) = try #require(encode(json))
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
        #expect(String(text.utf8.dropFirst(body.lowerBound).prefix(body.count)) == #"{"a":1}"#)
    }

    @Test func closingAnswerSaysSo() throws {
        let error = HTTPResponse.error(.payloadTooLarge, code: "TooLarge", message: "no")
        let (text, _) = try #require(encode(error, keepAlive: false))
        #expect(text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        #expect(text.contains("\r\nConnection: close\r\n\r\n"))
    }

    @Test func headAnswerKeepsItsLengthWithoutTheBody() throws {
        let (text, body) = try #require(encode(json, method: .HEAD))
        #expect(text.hasSuffix("Content-Length: 7\r\n\r\n"))
        #expect(body.isEmpty)
    }

    @Test func connectAnswerHasNoFraming() throws {
        let (text, body) = try #require(encode(json, method: .CONNECT, keepAlive: false))
        #expect(!text.contains("Content-Length"))
        #expect(text.hasSuffix("Connection: close\r\n\r\n"))
        #expect(body.isEmpty)
    }

    @Test func noContentAnswerHasNoLengthAndNoBody() throws {
        let (text, body) = try #require(encode(HTTPResponse(status: .noContent, body: .json(Array("{}".utf8)))))
        #expect(text == "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(body.isEmpty)
    }

    @Test func responseFramingHeadersAreReplaced() throws {
        var response = json
        response.headers.add(name: "content-length", value: "999")
        response.headers.add(name: "Transfer-Encoding", value: "chunked")
        let (text, _) = try #require(encode(response))
        #expect(!text.contains("999"))
        #expect(!text.lowercased().contains("transfer-encoding"))
        #expect(text.contains("Content-Length: 7\r\n"))
    }

    @Test func sensitiveBodyIsCopiedWhole() throws {
        let secret = SecureBytes(copying: Array(#"{"Value":"s3cret"}"#.utf8))
        let (text, body) = try #require(encode(HTTPResponse(status: .ok, body: .sensitive(secret))))
        #expect(text.hasSuffix("\r\n\r\n{\"Value\":\"s3cret\"}"))
        #expect(body.count == 18)
    }

    @Test(arguments: [("X-Bad", "a\r\nInjected: 1"), ("X-Nul", "a\u{0}b"), ("Bad Name", "v"), ("", "v")])
    func invalidHeadersWriteNothing(name: String, value: String) {
        var response = json
        response.headers.add(name: name, value: value)
        var buffer = ByteBufferAllocator().buffer(capacity: 16)
        #expect(ResponseEncoder.encode(response, method: .GET, keepAlive: true, into: &buffer) == nil)
        #expect(buffer.readableBytes == 0)
    }

    /// RFC 9110's tchar: letters, digits and `!#$%&'*+-.^_`|~`, and nothing else of ASCII.
    @Test func tokensAreExactlyTheTcharRuns() {
        let others = Set("!#$%&'*+-.^_`|~".utf8)
        for byte in UInt8(0)...UInt8(127) {
            let scalar = Character(Unicode.Scalar(byte))
            let expected = scalar.isLetter || scalar.isNumber || others.contains(byte)
            #expect(ResponseEncoder.isToken("X" + String(scalar)) == expected, "byte \(byte)")
        }
        #expect(!ResponseEncoder.isToken(""))
        #expect(!ResponseEncoder.isToken("Xé"))
    }
}
