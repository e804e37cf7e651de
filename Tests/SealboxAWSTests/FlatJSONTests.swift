import Foundation
import Testing

@testable import SealboxAWS
@testable import SealboxCore

/// The flat-body fast path must mean exactly what `JSONDecoder` means, or step aside.
@Suite struct FlatJSONTests {
    /// Holds "+" and "/"; Foundation's encoders write the slash as `\/`.
    private static let blob = Data(Array("ciphertext".utf8) + [0xfb, 0xff, 0xbf]).base64EncodedString()

    /// Bodies the fast path takes; each must decode to the same request through `JSONDecoder`.
    static let flat: [String] = [
        "{}",
        #"{"CiphertextBlob":"\#(blob)"}"#,
        #"{"CiphertextBlob":"\#(blob)","KeyId":"alias/app","EncryptionAlgorithm":"SYMMETRIC_DEFAULT","DryRun":true}"#,
        " \n{ \"ciphertextBlob\" :\t\"\(blob)\" , \"DryRun\" : false }\r\n",
        #"{"CiphertextBlob":"\#(blob)","Unknown":"ignored","Other":true}"#,
        #"{"KeyId":"clé/😀"}"#,
        #"{"KeyId":"alias\/a\"b\\c\b\f\n\r\t","CiphertextBlob":"\#(blob.replacingOccurrences(of: "/", with: "\\/"))"}"#,
    ]

    /// Bodies it must leave to `JSONDecoder`: valid ones it does not parse, and every error.
    static let declined: [[UInt8]] =
        [
            #"{"KeyId":"a\u0062","CiphertextBlob":"\#(blob)"}"#,
            #"{"KeyId":"a\x"}"#,
            #"{"KeyId":"a\"#,
            #"{"CiphertextBlob":"\#(blob)","Extra":1}"#,
            #"{"CiphertextBlob":null}"#,
            #"{"CiphertextBlob":"\#(blob)","EncryptionContext":{"a":"b"}}"#,
            #"{"CiphertextBlob":"\#(blob)","GrantTokens":["t"]}"#,
            #"{"CiphertextBlob":"\#(blob)","EncryptionContext":"a"}"#,
            #"{"CiphertextBlob":"\#(blob)","ciphertextBlob":"\#(blob)"}"#,
            #"{"CiphertextBlob":"not base64!"}"#,
            #"{"DryRun":"yes"}"#,
            #"{"KeyId":true}"#,
            #"{"DryRun":truex}"#,
            #"{"KeyId":"a"} x"#,
            #"{"KeyId":"a",}"#,
            #"{"KeyId" "a"}"#,
            #"{"KeyId":"a""#,
            "{\"KeyId\":\"a\u{1}\"}",
            "[]", #""x""#, "",
        ].map { Array($0.utf8) } + [[0x7b, 0x22, 0x4b, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]]

    @Test(arguments: flat)
    func flatBodiesDecodeAsJSONDecoderDecodesThem(_ text: String) throws {
        let body = Array(text.utf8)
        #expect(FlatJSONObject(body).flatMap(DecryptRequest.init(flat:)) != nil)
        #expect(AWSJSON.fastPathAgrees(body))
    }

    @Test(arguments: declined)
    func otherBodiesFallBackAndKeepTheirMeaning(_ body: [UInt8]) {
        #expect(FlatJSONObject(body).flatMap(DecryptRequest.init(flat:)) == nil)
        // The public entry point still answers as JSONDecoder does: same request, or same error.
        let viaEntry = Result { () throws(AWSError) in try AWSJSON.decode(DecryptRequest.self, from: body) }
        let viaDecoder = Result { () throws(AWSError) in
            try AWSJSON.decodeWithJSONDecoder(DecryptRequest.self, from: body)
        }
        switch (viaEntry, viaDecoder) {
        case (.success(let a), .success(let b)):
            #expect(a.ciphertextBlob?.bytes == b.ciphertextBlob?.bytes && a.keyId == b.keyId)
            #expect(a.encryptionContext == b.encryptionContext && a.grantTokens == b.grantTokens)
        case (.failure(let a), .failure(let b)):
            #expect(a.type == b.type && a.message == b.message)
        default:
            Issue.record("the entry point and JSONDecoder disagree on \(String(decoding: body, as: UTF8.self))")
        }
    }

    @Test func manyMembersAreLeftToJSONDecoder() throws {
        func body(members: Int) -> [UInt8] {
            let extra = (1..<members).map { #","m\#($0)":"x""# }.joined()
            return Array(#"{"CiphertextBlob":"\#(Self.blob)"\#(extra)}"#.utf8)
        }
        #expect(FlatJSONObject(body(members: FlatJSONObject.maxMembers)) != nil)
        let many = body(members: FlatJSONObject.maxMembers + 1)
        #expect(FlatJSONObject(many) == nil)
        #expect(try AWSJSON.decode(DecryptRequest.self, from: many).ciphertextBlob != nil)
    }

    @Test func getParameterBodiesTakeTheFastPath() throws {
        let body = Array(#"{"Name":"/app/db/password","WithDecryption":true}"#.utf8)
        let fast = try #require(FlatJSONObject(body).flatMap(NameRequest.init(flat:)))
        #expect(fast.name == "/app/db/password" && fast.withDecryption == true && fast.maxResults == nil)
        #expect(AWSJSON.fastPathAgrees(body))
        // MaxResults is a number: left to JSONDecoder, which reads it.
        let paged = Array(#"{"Name":"/app","MaxResults":5}"#.utf8)
        #expect(FlatJSONObject(paged).flatMap(NameRequest.init(flat:)) == nil)
        #expect(try AWSJSON.decode(NameRequest.self, from: paged).maxResults == 5)
    }

    @Test func quotedTextIsValidJSONForEveryControlCharacter() throws {
        let samples =
            (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + ["\"", "\\", "plain", "é", "😀", "a\"b\\c\nd"]
        for sample in samples {
            let quoted = JSONText.quoted(sample)
            let parsed = try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: .fragmentsAllowed)
            #expect(parsed as? String == sample, "\(quoted)")
        }
        #expect(JSONText.quoted("\u{1}") == #""\u0001""#)
    }
}
