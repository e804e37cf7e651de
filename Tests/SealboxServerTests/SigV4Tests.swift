import NIOHTTP1
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxServer

@Suite struct SigV4Tests {
    // The "get-vanilla" case of AWS's published SigV4 test suite.
    static let secret = SecureBytes(copying: Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8))
    static let signedAt = 1_440_938_160.0  // 20150830T123600Z

    static func headers(signature: String, keyID: String = "AKIDEXAMPLE") -> HTTPHeaders {
        [
            "Host": "example.amazonaws.com",
            "X-Amz-Date": "20150830T123600Z",
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=\(keyID)/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=\(signature)",
        ]
    }

    static let verifier = SigV4Verifier(
        keys: [AccessKey(id: "AKIDEXAMPLE", secret: secret, principal: "test")], clock: ManualClock(signedAt))

    static func verify(_ headers: HTTPHeaders, clock: ManualClock = ManualClock(signedAt)) throws(AWSError) -> String {
        let verifier = SigV4Verifier(
            keys: [AccessKey(id: "AKIDEXAMPLE", secret: secret, principal: "test")], clock: clock)
        return try verifier.verify(method: "GET", path: "/", query: "", headers: headers, body: [], service: "service")
            .region
    }

    @Test func acceptsAWSTestSuiteSignature() throws {
        let region = try Self.verify(
            Self.headers(signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"))
        #expect(region == "us-east-1")
    }

    @Test func rejectsAWrongSignature() {
        let error = #expect(throws: AWSError.self) {
            _ = try Self.verify(
                Self.headers(signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30"))
        }
        #expect(error?.type == "InvalidSignatureException")
    }

    @Test func errorsUseAWSCodes() {
        func code(_ headers: HTTPHeaders, clock: ManualClock = ManualClock(Self.signedAt)) -> String? {
            do {
                _ = try Self.verify(headers, clock: clock)
                return nil
            } catch {
                return error.type
            }
        }
        let good = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        #expect(code(["Host": "x"]) == "MissingAuthenticationTokenException")
        #expect(code(["Host": "x", "Authorization": "Basic abc"]) == "IncompleteSignatureException")
        #expect(code(Self.headers(signature: good, keyID: "AKIDUNKNOWN")) == "UnrecognizedClientException")
        #expect(
            code(Self.headers(signature: good), clock: ManualClock(Self.signedAt + 16 * 60))
                == "InvalidSignatureException")
        #expect(code(Self.headers(signature: good), clock: ManualClock(Self.signedAt + 14 * 60)) == nil)
    }

    @Test func parsesAmzDates() {
        #expect(SigV4Verifier.parseAmzDate("20150830T123600Z") == Self.signedAt)
        #expect(SigV4Verifier.parseAmzDate("19700101T000000Z") == 0)
        #expect(SigV4Verifier.parseAmzDate("2015-08-30T12:36Z") == nil)
        #expect(SigV4Verifier.parseAmzDate("20151330T123600Z") == nil)
    }

    @Test func canonicalQueryIsSortedAndEncoded() {
        #expect(SigV4Verifier.canonicalQuery("b=2&a=1&name=%2Fapp%2Fdb") == "a=1&b=2&name=%2Fapp%2Fdb")
        #expect(SigV4Verifier.canonicalQuery("") == "")
    }
}

@Suite struct ListenAddressTests {
    @Test func parsesAndClassifies() throws {
        let loopback = try #require(ListenAddress("127.0.0.1:2773"))
        #expect(loopback.port == 2773)
        #expect(loopback.isLoopback)
        #expect(try #require(ListenAddress("[::1]:0")).isLoopback)
        #expect(try #require(ListenAddress("localhost:80")).isLoopback)
        #expect(try #require(ListenAddress("0.0.0.0:2773")).isLoopback == false)
        #expect(try #require(ListenAddress("10.0.0.1:2773")).isLoopback == false)
        #expect(ListenAddress("127.0.0.1") == nil)
        #expect(ListenAddress("127.0.0.1:70000") == nil)
    }
}
