import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@Suite struct EnvironmentTokenTests {
    let harness: KMSHarness
    let env: EnvironmentTokens

    init() throws {
        harness = try KMSHarness()
        env = EnvironmentTokens(kms: harness.kms)
    }

    func encrypt(_ name: String, _ value: String, fernet: Bool = false, key: String? = nil) throws -> String {
        try env.encrypt(
            name: name, value: SecureBytes(copying: Array(value.utf8)), keyReference: key, fernet: fernet,
            context: harness.context)
    }

    func decrypt(_ name: String, _ token: String) throws -> String {
        let value = try env.decrypt(name: name, token: token, keyReference: nil, context: harness.context)
        return String(decoding: value.withUnsafeBytes(Array.init), as: UTF8.self)
    }

    @Test func aTokenDecryptsOnlyUnderItsOwnName() throws {
        let token = try encrypt("DB_PASSWORD", "hunter2")
        #expect(token.hasPrefix("sealbox:v1:"))
        #expect(!token.contains("hunter2"))
        #expect(try decrypt("DB_PASSWORD", token) == "hunter2")
        expectError(.invalidCiphertext) { try decrypt("OTHER", token) }
        // The default key was created, customer-managed, so admins can rotate it.
        let metadata = try harness.ok("DescribeKey", ["KeyId": EnvironmentTokens.defaultKeyAlias])["KeyMetadata"]
        #expect((metadata as? [String: Any])?["KeyManager"] as? String == "CUSTOMER")
    }

    @Test func everyFlippedBitIsRefused() throws {
        let token = try encrypt("API_KEY", "k")
        var raw = try Base64.decode(Array(token.utf8.dropFirst(EnvironmentTokens.prefix.count)), variant: .urlSafe)
        for index in stride(from: 0, to: raw.count, by: 7) {
            raw[index] ^= 0x01
            let forged = EnvironmentTokens.prefix + Base64.encode(raw, variant: .urlSafe)
            expectError(.invalidCiphertext) { try decrypt("API_KEY", forged) }
            raw[index] ^= 0x01
        }
    }

    @Test func badNamesAreValidationErrors() throws {
        for name in ["", "1ABC", "A-B", "A B", String(repeating: "A", count: 257)] {
            expectError(.validation) { try encrypt(name, "v") }
        }
    }

    @Test func fernetTokensUseTheNewestVersionAndStillOpenAfterRotation() throws {
        let token = try encrypt("LEGACY", "fern", fernet: true)
        #expect(token.hasPrefix("gAAAAA"))
        #expect(try decrypt("LEGACY", token) == "fern")
        _ = try harness.ok("RotateKeyOnDemand", ["KeyId": try defaultKeyID()])
        #expect(try decrypt("LEGACY", token) == "fern")
        let newer = try encrypt("LEGACY", "fern2", fernet: true)
        #expect(try decrypt("LEGACY", newer) == "fern2")
        let foreign = try Fernet.encrypt(Array("x".utf8), key: .generate(), now: UInt64(Date().timeIntervalSince1970))
        expectError(.invalidCiphertext) { try decrypt("LEGACY", foreign) }
    }

    func defaultKeyID() throws -> String {
        let metadata = try harness.ok("DescribeKey", ["KeyId": EnvironmentTokens.defaultKeyAlias])["KeyMetadata"]
        return try #require((metadata as? [String: Any])?["KeyId"] as? String)
    }

    @Test func rewrapMovesATokenForwardWithoutChangingItsValue() throws {
        let token = try encrypt("DB_PASSWORD", "hunter2")
        #expect(try env.rewrap(name: "DB_PASSWORD", token: token, context: harness.context) == token)
        let id = try defaultKeyID()
        _ = try harness.ok("RotateKeyOnDemand", ["KeyId": id])
        let moved = try env.rewrap(name: "DB_PASSWORD", token: token, context: harness.context)
        #expect(moved != token)
        #expect(try decrypt("DB_PASSWORD", moved) == "hunter2")
        _ = try harness.kms.retire(id, below: 2, stillNeeded: { _, _ in 0 }, context: harness.context)
        expectError(.invalidState) { try decrypt("DB_PASSWORD", token) }
        #expect(try decrypt("DB_PASSWORD", moved) == "hunter2")
    }
}
