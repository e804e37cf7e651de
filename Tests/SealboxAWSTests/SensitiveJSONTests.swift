import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@Suite struct SensitiveJSONTests {
    /// Every control character, quotes, backslashes and multi-byte text, at the start, the middle
    /// and the end of a string, so that both the escapes and the runs copied whole are exercised.
    static let texts: [String] =
        (0..<0x20).map { "a\(String(UnicodeScalar(UInt8($0))))b" } + [
            "", "plain", "\"", "\\", "\"quoted\" and \\back\\slashed\\", "clé 😀 ünïcode", "\n\r\t", "end\u{1f}",
        ]

    @Test func renderedJSONParsesBackToEveryValue() throws {
        let secret = "s3cr\"et\\\n\u{7}ü"
        var inner = SensitiveJSON()
        inner.strings("list", Self.texts)
        var json = SensitiveJSON()
        for (index, text) in Self.texts.enumerated() { json.string("k\(index)\"\n", text) }
        json.secretString("secret", SecureBytes(copying: Array(secret.utf8)))
        json.base64("blob", SecureBytes(copying: [0xfb, 0xff, 0x00, 0x01]))
        json.number("int", 42)
        json.number("negative", Int64(-7))
        json.number("time", 1_764_403_200.5)
        json.bool("flag", true)
        json.object("inner", inner)

        guard case .sensitive(let rendered) = json.render() else {
            Issue.record("render() must give guarded memory")
            return
        }
        let bytes = rendered.withUnsafeBytes { Data($0) }
        let parsed = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        for (index, text) in Self.texts.enumerated() { #expect(parsed["k\(index)\"\n"] as? String == text) }
        #expect(parsed["secret"] as? String == secret)
        #expect(parsed["blob"] as? String == Data([0xfb, 0xff, 0x00, 0x01]).base64EncodedString())
        #expect(parsed["int"] as? Int == 42 && parsed["negative"] as? Int == -7)
        #expect(parsed["time"] as? Double == 1_764_403_200.5 && parsed["flag"] as? Bool == true)
        #expect((parsed["inner"] as? [String: Any])?["list"] as? [String] == Self.texts)
    }

    /// The bytes, and only they, whichever way the render went: in one pass into a block with room
    /// for a few escapes, or measured and written again when the escapes do not fit.
    @Test(arguments: [
        "", "plain value", "a \"few\" escapes\n", String(repeating: "\u{1}", count: 300),
        String(repeating: "x", count: 5000) + "\"",
    ])
    func rendersExactlyTheExpectedBytes(value: String) throws {
        var json = SensitiveJSON()
        json.string("Name", "/app/db")
        json.secretString("Value", SecureBytes(copying: Array(value.utf8)))
        json.number("Version", 3)
        guard case .sensitive(let rendered) = json.render() else {
            Issue.record("render() must give guarded memory")
            return
        }
        let expected = #"{"Name":"/app/db","Value":"# + JSONText.quoted(value) + #","Version":3}"#
        #expect(rendered.withUnsafeBytes { Array($0) } == Array(expected.utf8))
    }

    /// `Int` members are written as digits at render, measured first: every edge must match `String(_:)`.
    @Test(arguments: [0, 7, -1, 10, -10, 999_999, Int.max, Int.min])
    func writesIntegersAsStringDoes(number: Int) {
        var json = SensitiveJSON()
        json.number("n", number)
        guard case .sensitive(let rendered) = json.render() else {
            Issue.record("render() must give guarded memory")
            return
        }
        #expect(rendered.withUnsafeBytes { Array($0) } == Array(#"{"n":\#(number)}"#.utf8))
    }
}
