import NIOHTTP1
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxServer

/// What a signature must cover, and the regions its scope may name.
@Suite struct SigV4RequirementsTests {
    private static let signedAt = 1_440_938_160.0  // 20150830T123600Z

    private func error(region: String = "us-east-1", signed: String = "host;x-amz-date", extra: HTTPHeaders = [:])
        -> AWSError?
    {
        var headers: HTTPHeaders = [
            "Host": "example.amazonaws.com",
            "X-Amz-Date": "20150830T123600Z",
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/\(region)/service/aws4_request, SignedHeaders=\(signed), Signature=00",
        ]
        headers.add(contentsOf: extra)
        let verifier = SigV4Verifier(
            keys: [AccessKey(id: "AKIDEXAMPLE", secret: SecureBytes(copying: Array("secret".utf8)), principal: "t")],
            clock: ManualClock(Self.signedAt), regions: AWSRegions.names + ["on-prem-1"])
        do {
            _ = try verifier.verify(method: "GET", path: "/", query: "", headers: headers, body: [], service: "service")
            return nil
        } catch {
            return error
        }
    }

    @Test func everyAmzHeaderMustBeSigned() {
        for (signed, extra, name) in [
            ("host", HTTPHeaders(), "X-Amz-Date"),
            ("host;x-amz-date", ["X-Amz-Target": "TrentService.CreateKey"], "X-Amz-Target"),
            (
                "host;x-amz-date;x-amz-target", ["x-amz-security-token": "t", "X-Amz-Target": "a"],
                "x-amz-security-token"
            ),
        ] {
            let failure = error(signed: signed, extra: extra)
            #expect(failure?.type == "InvalidSignatureException")
            #expect(failure?.message == "'\(name)' must be a 'SignedHeader' in the AWS Authorization.")
        }
    }

    @Test func signedAmzHeadersAndOtherUnsignedHeadersPassOnToTheSignatureCheck() {
        let failure = error(
            signed: "host;X-Amz-Date;x-amz-target",
            extra: ["X-Amz-Target": "a", "X-Amzn-Trace-Id": "b", "User-Agent": "c"])
        #expect(failure?.message.hasPrefix("The request signature we calculated does not match") == true)
    }

    @Test func theScopeMustNameAKnownRegion() {
        #expect(
            error(region: "xx-fake-9")?.message == "Credential should be scoped to a valid region, not 'xx-fake-9'.")
        for region in ["us-gov-west-1", "cn-northwest-1", "eu-central-2", "on-prem-1"] {
            #expect(error(region: region)?.message.hasPrefix("The request signature") == true)
        }
    }
}
