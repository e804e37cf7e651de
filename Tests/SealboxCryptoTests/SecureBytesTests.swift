import SealboxCrypto
import Testing

@Suite struct SecureBytesTests {
    @Test func aBlockSizedForTheMostKeepsWhatWasWritten() throws {
        let kept = try SecureBytes(maximumCount: 100) { buffer in
            for index in 0..<5 { buffer[index] = UInt8(index + 1) }
            return 5
        }
        #expect(kept.count == 5)
        #expect(kept.withUnsafeBytes { Array($0) } == [1, 2, 3, 4, 5])
        struct Refused: Error {}
        #expect(throws: Refused.self) { try SecureBytes(maximumCount: 8) { _ in throw Refused() } }
    }

    @Test func descriptionNeverShowsContents() {
        let secret = SecureBytes(copying: Array("hunter2-canary".utf8))
        for text in [secret.description, secret.debugDescription, String(reflecting: secret), "\(secret)"] {
            #expect(!text.contains("hunter2"))
            #expect(text.contains("14 bytes"))
        }
    }

    @Test func copiesAndComparesInConstantTime() {
        let secret = SecureBytes(copying: [1, 2, 3])
        #expect(secret.count == 3)
        #expect(secret.constantTimeEquals([1, 2, 3] as [UInt8]))
        #expect(!secret.constantTimeEquals([1, 2, 4] as [UInt8]))
        #expect(!secret.constantTimeEquals([1, 2] as [UInt8]))
    }

    @Test func randomKeysDiffer() {
        let a = SecureBytes.random(count: 32)
        let b = SecureBytes.random(count: 32)
        #expect(a.count == 32)
        #expect(!a.constantTimeEquals(b))
    }

    @Test func emptyIsAllowed() {
        let empty = SecureBytes(copying: [UInt8]())
        #expect(empty.count == 0)
        #expect(empty.constantTimeEquals([UInt8]()))
    }
}

@Suite struct Base64Tests {
    @Test func roundTripsStandardAndURLSafe() throws {
        let bytes: [UInt8] = [0xfb, 0xff, 0xfe, 0x00, 0x10]
        #expect(Base64.encode(bytes) == "+//+ABA=")
        #expect(Base64.encode(bytes, variant: .urlSafe) == "-__-ABA=")
        #expect(try Base64.decode(Array("+//+ABA=".utf8)) == bytes)
        #expect(try Base64.decodeSecure(Array("-__-ABA=".utf8), variant: .urlSafe).constantTimeEquals(bytes))
    }

    /// The decoder for public data agrees with libsodium's (behind `decodeSecure`) on every input:
    /// encodings of random bytes, the same with one character changed (bad padding, stray `=`,
    /// non-zero trailing bits, other alphabets), and short strings of alphabet and other bytes.
    @Test(arguments: [Base64.Variant.standard, .urlSafe])
    func publicDecoderAgreesWithLibsodium(variant: Base64.Variant) {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_= \n.\u{0}".utf8)
        var inputs: [[UInt8]] = []
        for _ in 0..<3000 {
            let bytes = (0..<next(40)).map { _ in UInt8(next(256)) }
            var text = Array(Base64.encode(bytes, variant: variant).utf8)
            inputs.append(text)
            if !text.isEmpty { text[next(text.count)] = characters[next(characters.count)] }
            inputs.append(text)
            inputs.append((0..<next(13)).map { _ in characters[next(characters.count)] })
        }
        for text in inputs {
            let fast = try? Base64.decode(text, variant: variant)
            let sodium = (try? Base64.decodeSecure(text, variant: variant)).map { $0.withUnsafeBytes { Array($0) } }
            #expect(fast == sodium, "\(String(decoding: text, as: UTF8.self))")
        }
        #expect(inputs.contains { (try? Base64.decode($0, variant: variant)) == nil })
    }

    @Test(arguments: ["abc", "ab=c", "a b=", "Zm9v\n", "Zm9=", "@@@@", "Zm9vYg"])
    func rejectsMalformed(_ text: String) {
        #expect(throws: CryptoError.invalidEncoding) { try Base64.decode(Array(text.utf8)) }
    }
}

@Suite struct HexAndKeyIDTests {
    @Test func keyIDRoundTrips() throws {
        let id = try #require(KeyID("1234ABCD-12ab-34cd-56ef-1234567890ab"))
        #expect(id.description == "1234abcd-12ab-34cd-56ef-1234567890ab")
        #expect(KeyID(id.description) == id)
    }

    @Test(arguments: [
        "", "1234abcd12ab34cd56ef1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ag",
        "1234abcd-12ab-34cd-56ef1-234567890ab", "1234abcd-12ab-34cd-56ef-1234567890abc",
        "1234abcd-12ab-34cd-56ef-1234567890a", "1234abcd-12ab-34cd-56ef-1234567890\u{e9}",
        "1234abcd+12ab-34cd-56ef-1234567890ab",
    ])
    func keyIDRejects(_ text: String) {
        #expect(KeyID(text) == nil)
    }

    @Test func keyIDKeepsItsBytesAndSortsByThem() throws {
        let bytes = (0..<16).map { UInt8($0 * 17) }
        let id = try #require(KeyID(bytes: bytes))
        #expect(id.bytes == bytes)
        #expect(id.description == "00112233-4455-6677-8899-aabbccddeeff")
        #expect(KeyID(bytes: Array(bytes.prefix(15))) == nil)
        let ordered = try [
            [UInt8](repeating: 0, count: 16), [UInt8](repeating: 0, count: 15) + [1],
            [UInt8](repeating: 0, count: 7) + [1] + [UInt8](repeating: 0, count: 8),
            [UInt8](repeating: 0, count: 7) + [1] + [UInt8](repeating: 0xff, count: 8),
            [1] + [UInt8](repeating: 0, count: 15), [UInt8](repeating: 0xff, count: 16),
        ].map { try #require(KeyID(bytes: $0)) }
        #expect(ordered.sorted() == ordered)
        #expect(ordered.reversed().sorted() == ordered)
        #expect(Set(ordered).count == ordered.count)
    }

    @Test func randomKeyIDsAreVersion4() {
        let id = KeyID.random()
        #expect(id.bytes[6] >> 4 == 4)
        #expect(id.bytes[8] >> 6 == 2)
        // Only the version nibble and the variant bits change.
        #expect(KeyID(version4: .max, .max).description == "ffffffff-ffff-4fff-bfff-ffffffffffff")
        #expect(KeyID(version4: 0, 0).description == "00000000-0000-4000-8000-000000000000")
        #expect(KeyID(version4: [UInt8](repeating: 0xff, count: 16)) == KeyID(version4: .max, .max))
        #expect(id != KeyID.random())
    }
}

@Suite struct DigestTests {
    @Test func sha256AndHMACMatchKnownAnswers() {
        #expect(
            Hex.encode(Digest.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // RFC 4231 test case 2.
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Hex.encodeASCII(mac) == Array("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843".utf8))
        #expect(Hex.encodeASCII([UInt8]()).isEmpty)
    }

    @Test func sha256OfLongerInputs() {
        #expect(
            Hex.encode(Digest.sha256(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Hex.encode(Digest.sha256([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 4231 test cases 1, 6 (a key longer than the block, hashed first) and 7 (a longer key and
    /// message), and an empty key and message.
    @Test(arguments: [
        (
            String(repeating: "0b", count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            String(repeating: "aa", count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            String(repeating: "aa", count: 131),
            Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. The key needs"
                    + " to be hashed before being used by the HMAC algorithm.").utf8),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
        ("", [UInt8](), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"),
    ])
    func hmacMatchesRFC4231(key: String, message: [UInt8], expected: String) throws {
        let digits = Array(key.utf8)
        let key = try stride(from: 0, to: digits.count, by: 2).map { index in
            try #require(Hex.value(ofDigit: digits[index])) << 4 | #require(Hex.value(ofDigit: digits[index + 1]))
        }
        #expect(Hex.encode(Digest.hmacSHA256(key: key, message)) == expected)
        #expect(Digest.hmacSHA256Secure(key: key, message).withUnsafeBytes { Hex.encode(Array($0)) } == expected)
        let prepared = HMACKey(key)
        #expect(Hex.encode(message.withUnsafeBytes { prepared.mac($0) }) == expected)
        // Its saved states are not used up by a MAC.
        #expect(Hex.encode(message.withUnsafeBytes { prepared.mac($0) }) == expected)
    }
}
