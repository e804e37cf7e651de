import Foundation
import Testing

@testable import SealboxCore

@Suite struct JSONTextTests {
    @Test(arguments: [
        "", "plain", "\"leading", "trailing\\", "mid\"dle", "tab\tand\nnewline", "\u{0}\u{1F}",
        "naïve ☃ 🎉", "a\"b\\c\u{7}d",
    ])
    func quotedTextParsesBackToItself(_ text: String) throws {
        var out: [UInt8] = Array("[".utf8)
        JSONText.appendQuoted(text, to: &out)
        out.append(UInt8(ascii: "]"))
        let parsed = try JSONSerialization.jsonObject(with: Data(out)) as? [String]
        #expect(parsed == [text])
        // Only what JSON requires is escaped: everything else is copied as it is.
        // A short escape (\" \\ \n \r \t) adds one byte, \u00XX five.
        let escapes = text.utf8.filter(JSONText.needsEscape)
        let long = escapes.filter { $0 < 0x20 && ![0x09, 0x0A, 0x0D].contains($0) }.count
        #expect(out.count == 2 + 2 + text.utf8.count + escapes.count + long * 4)
    }
}
