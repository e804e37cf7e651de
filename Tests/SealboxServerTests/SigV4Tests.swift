import NIOHTTP1
import SealboxAWS
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

    @Test func parsesTheAuthorizationHeader() throws {
        let auth = try #require(
            SigV4Authorization(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa0"
            ))
        #expect(auth.accessKeyID == "AKIDEXAMPLE")
        #expect(auth.date == "20150830")
        #expect(auth.region == "us-east-1")
        #expect(auth.service == "service")
        #expect(auth.scope == "20150830/us-east-1/service/aws4_request")
        #expect(auth.signedHeaders == "host;x-amz-date")
        #expect(auth.signature == "5fa0")
    }

    @Test(arguments: [
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AKID/2015083/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws5_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/x/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Sig=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host, , Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders, Signature=00",
        "AWS4-HMAC-SHA1 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
    ])
    func rejectsMalformedAuthorizationHeaders(header: String) {
        #expect(SigV4Authorization(header) == nil)
    }

    @Test func canonicalHeadersTrimAndKeepCommas() {
        var out: [UInt8] = []
        SigV4Verifier.appendTrimmed("  a,  b\t c  ", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "a, b c")
    }

    @Test func aReloadedSecretIsNotVerifiedWithTheOldSigningKey() throws {
        let good = Self.headers(signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        let table = Locked(["AKIDEXAMPLE": AccessKey(id: "AKIDEXAMPLE", secret: Self.secret, principal: "test")])
        let verifier = SigV4Verifier(keys: { table.withLock { $0 } }, clock: ManualClock(Self.signedAt))
        func verify() throws(AWSError) {
            _ = try verifier.verify(method: "GET", path: "/", query: "", headers: good, body: [], service: "service")
        }
        try verify()
        try verify()  // from the cached signing key
        table.withLock {
            $0["AKIDEXAMPLE"] = AccessKey(id: "AKIDEXAMPLE", secret: .random(count: 40), principal: "test")
        }
        let error = #expect(throws: AWSError.self) { try verify() }
        #expect(error?.type == "InvalidSignatureException")
        table.withLock {
            $0["AKIDEXAMPLE"] = AccessKey(
                id: "AKIDEXAMPLE", secret: SecureBytes(copying: Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8)),
                principal: "test")
        }
        try verify()
    }

    @Test func aReplacedSecretIsNotKeptAliveByTheCache() throws {
        let good = Self.headers(signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        var secret: SecureBytes? = SecureBytes(copying: Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8))
        weak let replaced = secret
        let table = Locked(["AKIDEXAMPLE": AccessKey(id: "AKIDEXAMPLE", secret: secret!, principal: "test")])
        let verifier = SigV4Verifier(keys: { table.withLock { $0 } }, clock: ManualClock(Self.signedAt))
        _ = try verifier.verify(method: "GET", path: "/", query: "", headers: good, body: [], service: "service")
        table.withLock { $0["AKIDEXAMPLE"] = AccessKey(id: "AKIDEXAMPLE", secret: Self.secret, principal: "test") }
        secret = nil
        #expect(replaced == nil)
        _ = try verifier.verify(method: "GET", path: "/", query: "", headers: good, body: [], service: "service")
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
