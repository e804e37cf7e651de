import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

/// Imported key material through the wire operations, on a hand-moved clock: tokens that expire,
/// material that expires to the second, and the refusals that change nothing.
@Suite struct KMSImportTests {
    /// The token and wrapping public key for `keyId`.
    static func parameters(_ h: KMSHarness, _ keyId: String, _ algorithm: String = "RSAES_OAEP_SHA_256") throws -> (
        token: String, publicKey: PublicKey
    ) {
        let answer = try h.ok(
            "GetParametersForImport", ["KeyId": keyId, "WrappingAlgorithm": algorithm, "WrappingKeySpec": "RSA_2048"])
        let der = try Base64.decode(Array(try #require(answer["PublicKey"] as? String).utf8))
        #expect(answer["ParametersValidTo"] as? Double == h.clock.now() + 86_400)
        return (try #require(answer["ImportToken"] as? String), try PublicKey(der: der))
    }

    static func wrap(_ material: [UInt8], _ publicKey: PublicKey, aes: Bool = false) throws -> String {
        guard aes else { return Base64.encode(try publicKey.encrypt(material, oaep: .sha256)) }
        let kek = SecureBytes.random(count: 32)
        return Base64.encode(
            try publicKey.encrypt(kek, oaep: .sha256) + AESKeyWrap.wrap(material, key: kek))
    }

    static func importBody(_ keyId: String, _ token: String, _ wrapped: String, validTo: Double? = nil)
        -> [String: Any]
    {
        var body: [String: Any] = ["KeyId": keyId, "ImportToken": token, "EncryptedKeyMaterial": wrapped]
        if let validTo { body["ValidTo"] = validTo } else { body["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE" }
        return body
    }

    static func state(_ h: KMSHarness, _ keyId: String) throws -> String? {
        try (h.ok("DescribeKey", ["KeyId": keyId])["KeyMetadata"] as? [String: Any])?["KeyState"] as? String
    }

    @Test func importedMaterialEncryptsUntilItIsDeletedAndOpensAgainWhenReimported() throws {
        let h = try KMSHarness()
        let id = try h.createKey(["Origin": "EXTERNAL"])
        #expect(try Self.state(h, id) == "PendingImport")
        #expect(h.error("Encrypt", ["KeyId": id, "Plaintext": "eA=="])?.type == "KMSInvalidStateException")
        #expect(h.error("EnableKey", ["KeyId": id])?.type == "KMSInvalidStateException")
        let material = [UInt8](repeating: 7, count: 32)
        let (token, publicKey) = try Self.parameters(h, id)
        let imported = try h.ok("ImportKeyMaterial", Self.importBody(id, token, try Self.wrap(material, publicKey)))
        #expect((imported["KeyMaterialId"] as? String)?.count == 64)
        #expect(try Self.state(h, id) == "Enabled")
        let blob = try h.encrypt(id, "under imported material")
        // The key holds exactly the imported bytes.
        let keyID = try #require(KeyID(id))
        let key = try #require(h.kms.keys[KeyAddress(keyID, in: .home)])
        #expect(key.material[1]?.constantTimeEquals(material) == true)

        _ = try h.ok("DeleteImportedKeyMaterial", ["KeyId": id])
        #expect(try Self.state(h, id) == "PendingImport")
        #expect(h.error("Decrypt", ["CiphertextBlob": blob])?.type == "KMSInvalidStateException")

        // Other material is refused; the same material, under a new token, brings the key back.
        let (again, againKey) = try Self.parameters(h, id, "RSA_AES_KEY_WRAP_SHA_256")
        let other = h.error(
            "ImportKeyMaterial",
            Self.importBody(id, again, try Self.wrap([UInt8](repeating: 8, count: 32), againKey, aes: true)))
        #expect(other?.type == "IncorrectKeyMaterialException")
        #expect(try Self.state(h, id) == "PendingImport")
        _ = try h.ok("ImportKeyMaterial", Self.importBody(id, again, try Self.wrap(material, againKey, aes: true)))
        #expect(try h.decrypt(blob) == "under imported material")
    }

    @Test func materialExpiresToTheSecondAndTheSweepDeletesIt() throws {
        let h = try KMSHarness()
        let id = try h.createKey(["Origin": "EXTERNAL"])
        let (token, publicKey) = try Self.parameters(h, id)
        let validTo = h.clock.now() + 60
        _ = try h.ok(
            "ImportKeyMaterial", Self.importBody(id, token, try Self.wrap(Array(0..<32), publicKey), validTo: validTo))
        let metadata = try #require(h.ok("DescribeKey", ["KeyId": id])["KeyMetadata"] as? [String: Any])
        #expect(metadata["ExpirationModel"] as? String == "KEY_MATERIAL_EXPIRES")
        #expect(metadata["ValidTo"] as? Double == validTo)
        h.clock.advance(by: 59)
        _ = try h.encrypt(id, "still valid")
        h.clock.advance(by: 1)
        #expect(try Self.state(h, id) == "PendingImport")
        #expect(h.error("Encrypt", ["KeyId": id, "Plaintext": "eA=="])?.type == "KMSInvalidStateException")
        #expect(try h.kms.expireImportedMaterial() == 1)
        let keyID = try #require(KeyID(id))
        #expect(h.kms.keys[KeyAddress(keyID, in: .home)]?.versions.isEmpty == true)
        #expect(try h.store.loadKeys().first { $0.record.id.description == id }?.versions.isEmpty == true)
    }

    @Test func tokensAreBoundToTheirKeyAndExpireAfterADay() throws {
        let h = try KMSHarness()
        let id = try h.createKey(["Origin": "EXTERNAL"])
        let other = try h.createKey(["Origin": "EXTERNAL"])
        let (token, publicKey) = try Self.parameters(h, id)
        let wrapped = try Self.wrap(Array(0..<32), publicKey)
        #expect(
            h.error("ImportKeyMaterial", Self.importBody(other, token, wrapped))?.type == "InvalidImportTokenException")
        var tampered = try Base64.decode(Array(token.utf8))
        tampered[tampered.count / 2] ^= 1
        #expect(
            h.error("ImportKeyMaterial", Self.importBody(id, Base64.encode(tampered), wrapped))?.type
                == "InvalidImportTokenException")
        #expect(
            h.error("ImportKeyMaterial", Self.importBody(id, token, Base64.encode([UInt8](repeating: 1, count: 256))))?
                .type == "InvalidCiphertextException")
        #expect(
            h.error("ImportKeyMaterial", Self.importBody(id, token, try Self.wrap(Array(0..<31), publicKey)))?.type
                == "IncorrectKeyMaterialException")
        h.clock.advance(by: 86_400)
        #expect(
            h.error("ImportKeyMaterial", Self.importBody(id, token, wrapped))?.type == "ExpiredImportTokenException")
        #expect(try Self.state(h, id) == "PendingImport")
    }

    @Test func aTokenSurvivesARestartAndImportedMaterialIsDurable() throws {
        let h = try KMSHarness()
        let id = try h.createKey(["Origin": "EXTERNAL", "KeySpec": "HMAC_384", "KeyUsage": "GENERATE_VERIFY_MAC"])
        let (token, publicKey) = try Self.parameters(h, id, "RSA_AES_KEY_WRAP_SHA_256")
        let restarted = try KMS(store: h.store, rootKey: h.root, clock: h.clock)
        let material = [UInt8](repeating: 3, count: 100)
        _ = try callOperation(
            KMS.operations["ImportKeyMaterial"]!, on: restarted,
            Self.importBody(id, token, try Self.wrap(material, publicKey, aes: true)), context: h.context
        ).get()
        let again = try KMS(store: h.store, rootKey: h.root, clock: h.clock)
        let keyID = try #require(KeyID(id))
        let key = try #require(again.keys[KeyAddress(keyID, in: .home)])
        #expect(key.material[1]?.constantTimeEquals(material) == true)
        #expect(again.state(of: key) == .enabled)
    }

    @Test func theRequestIsCheckedAsAWSChecksIt() throws {
        let h = try KMSHarness()
        let id = try h.createKey(["Origin": "EXTERNAL"])
        let native = try h.createKey()
        let (token, publicKey) = try Self.parameters(h, id)
        let wrapped = try Self.wrap(Array(0..<32), publicKey)
        #expect(
            h.error(
                "GetParametersForImport",
                ["KeyId": native, "WrappingAlgorithm": "RSAES_OAEP_SHA_1", "WrappingKeySpec": "RSA_2048"])?
                .type == "UnsupportedOperationException")
        #expect(
            h.error(
                "GetParametersForImport",
                ["KeyId": id, "WrappingAlgorithm": "RSAES_PKCS1_V1_5", "WrappingKeySpec": "RSA_2048"])?
                .type == "UnsupportedOperationException")
        var missingValidTo = Self.importBody(id, token, wrapped)
        missingValidTo["ExpirationModel"] = nil
        #expect(h.error("ImportKeyMaterial", missingValidTo)?.type == "ValidationException")
        #expect(
            h.error("ImportKeyMaterial", Self.importBody(id, token, wrapped, validTo: h.clock.now() - 1))?.type
                == "ValidationException")
        #expect(
            h.error("ImportKeyMaterial", Self.importBody(id, token, wrapped, validTo: h.clock.now() + 366 * 86_400))?
                .type == "ValidationException")
        #expect(h.error("DeleteImportedKeyMaterial", ["KeyId": native])?.type == "UnsupportedOperationException")
        #expect(h.error("EnableKeyRotation", ["KeyId": id])?.type == "UnsupportedOperationException")
        #expect(try Self.state(h, id) == "PendingImport")
    }
}
