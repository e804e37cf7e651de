import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

/// Fixtures seed HMAC keys with their spec, usage and material, and export them back.
@Suite struct FixtureKeySpecTests {
    private static let id = "0b9d2a1c-0000-4000-8000-000000000001"

    private static func parse(_ body: String) throws -> Fixtures {
        try Fixtures.parse("keys:\n  - id: \(id)\n" + body, origin: "test.yaml")
    }

    @Test func anHMACKeyIsSeededWithItsMaterialAndExportedBack() throws {
        let h = try SSMHarness()
        let material = [UInt8](repeating: 9, count: 48)
        let fixtures = try Self.parse(
            "    keySpec: HMAC_384\n    material: \(Base64.encode(material))\n")
        #expect(fixtures.keys[0].usage == .generateVerifyMac)
        _ = try fixtures.apply(kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, origin: "test.yaml")
        let keyID = try #require(KeyID(Self.id))
        let key = try #require(h.kmsHarness.kms.keys[KeyAddress(keyID, in: .home)])
        #expect(key.record.spec == .hmac384)
        #expect(key.record.usage == .generateVerifyMac)
        #expect(key.material[1]?.constantTimeEquals(material) == true)

        let export = try Fixtures.export(kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, includeMaterial: true)
        let entry = try #require((export["keys"] as? [[String: Any]])?.first)
        #expect(entry["keySpec"] as? String == "HMAC_384")
        #expect(entry["keyUsage"] as? String == "GENERATE_VERIFY_MAC")
        #expect(entry["material"] as? String == Base64.encode(material))

        // Loading it again finds the same key; as another spec, it is refused.
        let again = try fixtures.apply(kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, origin: "test.yaml")
        #expect(again.keysCreated == 0)
        #expect(throws: SetupError.self) {
            _ = try Self.parse("    keySpec: HMAC_256\n").apply(
                kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, origin: "test.yaml")
        }
    }

    @Test(arguments: [
        ("    keySpec: HMAC_256\n    material: \(Base64.encode([UInt8](repeating: 1, count: 48)))\n", "32 bytes"),
        ("    keySpec: HMAC_256\n    keyUsage: ENCRYPT_DECRYPT\n", "does not go with"),
        ("    keySpec: ML_DSA_44\n", "not one Sealbox creates"),
        ("    keySpec: RSA_2048\n    keyUsage: SIGN_VERIFY\n    material: c2VjcmV0\n", "PEM private key"),
        ("    material: \(Base64.encode([UInt8](repeating: 1, count: 28)))\n", "32 bytes"),
    ])
    func badSpecsUsagesAndMaterialAreRefusedWithTheReason(_ body: String, _ reason: String) throws {
        let error = #expect(throws: SetupError.self) { _ = try Self.parse(body) }
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("keys[0]") == true)
    }
}
