import SealboxCrypto
import Testing

@Suite struct AsymmetricKeyTests {
    static let specs: [AsymmetricKeySpec] = [.rsa(bits: 2048), .ec(.p256), .ec(.p384), .ec(.p521), .ec(.secp256k1)]
    static let rsaSchemes: [SignatureScheme] = [
        .rsaPSS(.sha256), .rsaPSS(.sha384), .rsaPSS(.sha512), .rsaPKCS1(.sha256), .rsaPKCS1(.sha384),
        .rsaPKCS1(.sha512),
    ]
    static let rsa = try! PrivateKey.generate(.rsa(bits: 2048))

    @Test(arguments: specs) func aKeyRoundTripsThroughPKCS8AndPEM(_ spec: AsymmetricKeySpec) throws {
        let key = try PrivateKey.generate(spec)
        #expect(key.spec == spec)
        let der = try key.pkcs8()
        let again = try PrivateKey(der: der)
        #expect(again.publicKey.der == key.publicKey.der)
        let pem =
            "-----BEGIN PRIVATE KEY-----\n" + Base64.encode(der.withUnsafeBytes(Array.init))
            + "\n-----END PRIVATE KEY-----\n"
        #expect(try PrivateKey(pem: pem).publicKey.der == key.publicKey.der)
        #expect(try PublicKey(der: key.publicKey.der).spec == spec)
    }

    @Test(arguments: rsaSchemes) func rsaSignaturesVerifyAndFailOnAnyChange(_ scheme: SignatureScheme) throws {
        let digest = scheme.hash.digest(Array("message".utf8))
        var signature = try Self.rsa.sign(digest: digest, scheme)
        #expect(signature.count == 256)
        #expect(Self.rsa.publicKey.verify(signature, digest: digest, scheme))
        var other = digest
        other[0] ^= 1
        #expect(!Self.rsa.publicKey.verify(signature, digest: other, scheme))
        signature[5] ^= 1
        #expect(!Self.rsa.publicKey.verify(signature, digest: digest, scheme))
    }

    @Test func pkcs1SignaturesAreDeterministicAndPSSOnesAreNot() throws {
        let digest = SHA2.sha256.digest(Array("m".utf8))
        #expect(
            try Self.rsa.sign(digest: digest, .rsaPKCS1(.sha256)) == Self.rsa.sign(digest: digest, .rsaPKCS1(.sha256)))
        #expect(try Self.rsa.sign(digest: digest, .rsaPSS(.sha256)) != Self.rsa.sign(digest: digest, .rsaPSS(.sha256)))
    }

    @Test(arguments: [(EllipticCurve.p256, SHA2.sha256), (.p384, .sha384), (.p521, .sha512), (.secp256k1, .sha256)])
    func ecdsaSignaturesAreDERAndVerify(_ curve: EllipticCurve, _ hash: SHA2) throws {
        let key = try PrivateKey.generate(.ec(curve))
        let digest = hash.digest(Array("message".utf8))
        let signature = try key.sign(digest: digest, .ecdsa(hash))
        #expect(signature.first == 0x30, "a DER SEQUENCE")
        #expect(key.publicKey.verify(signature, digest: digest, .ecdsa(hash)))
        #expect(!key.publicKey.verify(signature, digest: hash.digest(Array("other".utf8)), .ecdsa(hash)))
    }

    @Test func aSchemeOrDigestThatDoesNotSuitTheKeyIsRefused() throws {
        let ec = try PrivateKey.generate(.ec(.p256))
        let digest = SHA2.sha256.digest([1])
        #expect(throws: CryptoError.self) { try ec.sign(digest: digest, .rsaPSS(.sha256)) }
        #expect(throws: CryptoError.self) { try Self.rsa.sign(digest: digest, .ecdsa(.sha256)) }
        #expect(throws: CryptoError.self) { try Self.rsa.sign(digest: [1, 2, 3], .rsaPSS(.sha256)) }
        let signature = try ec.sign(digest: digest, .ecdsa(.sha256))
        #expect(!ec.publicKey.verify(signature, digest: digest, .ecdsa(.sha384)))
    }

    @Test(arguments: [OAEPHash.sha1, .sha256]) func oaepRoundTripsAndRefusesTampering(_ hash: OAEPHash) throws {
        let limit = 256 - 2 * hash.length - 2
        let plaintext = SecureBytes.random(count: limit)
        var ciphertext = try Self.rsa.publicKey.encrypt(plaintext, oaep: hash)
        #expect(ciphertext.count == 256)
        #expect(try Self.rsa.decrypt(ciphertext, oaep: hash).constantTimeEquals(plaintext.withUnsafeBytes(Array.init)))
        #expect(throws: CryptoError.self) {
            try Self.rsa.publicKey.encrypt([UInt8](repeating: 0, count: limit + 1), oaep: hash)
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try Self.rsa.decrypt(ciphertext, oaep: hash == .sha1 ? .sha256 : .sha1)
        }
        ciphertext[100] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try Self.rsa.decrypt(ciphertext, oaep: hash) }
        #expect(throws: CryptoError.authenticationFailed) { try Self.rsa.decrypt(ciphertext.dropLast(), oaep: hash) }
    }

    @Test func ecdhAgreesBothWaysAndRefusesAnotherCurve() throws {
        let alice = try PrivateKey.generate(.ec(.p384))
        let bob = try PrivateKey.generate(.ec(.p384))
        let one = try alice.deriveSharedSecret(with: bob.publicKey)
        let other = try bob.deriveSharedSecret(with: alice.publicKey)
        #expect(one.count == 48)
        #expect(one.constantTimeEquals(other.withUnsafeBytes(Array.init)))
        let stranger = try PrivateKey.generate(.ec(.p256))
        #expect(throws: CryptoError.self) { try alice.deriveSharedSecret(with: stranger.publicKey) }
        #expect(throws: CryptoError.self) { try Self.rsa.deriveSharedSecret(with: bob.publicKey) }
    }

    @Test func malformedOrForeignKeysAreRefused() throws {
        let der = try Self.rsa.pkcs8().withUnsafeBytes(Array.init)
        #expect(throws: CryptoError.self) { try PrivateKey(der: der + [0]) }
        #expect(throws: CryptoError.self) { try PrivateKey(der: Array(der.dropLast())) }
        #expect(throws: CryptoError.self) { try PrivateKey(der: [0x30, 0x03, 0x02, 0x01, 0x01]) }
        #expect(throws: CryptoError.self) { try PrivateKey(der: [UInt8]()) }
        #expect(throws: CryptoError.self) { try PublicKey(der: Self.rsa.publicKey.der + [0]) }
        #expect(throws: CryptoError.self) { try PublicKey(der: [UInt8](repeating: 0x30, count: 40)) }
        #expect(throws: CryptoError.self) {
            try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
        }
        #expect(throws: CryptoError.self) { try PrivateKey(pem: "") }
    }
}
