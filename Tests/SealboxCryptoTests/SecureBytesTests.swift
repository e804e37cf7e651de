import SealboxCrypto
import Testing

@Suite struct SecureBytesTests {
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
        "1234abcd-12ab-34cd-56ef1-234567890ab",
    ])
    func keyIDRejects(_ text: String) {
        #expect(KeyID(text) == nil)
    }

    @Test func randomKeyIDsAreVersion4() {
        let id = KeyID.random()
        #expect(id.bytes[6] >> 4 == 4)
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
}
