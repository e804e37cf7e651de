import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

/// Fixtures go through the same domain rules as API calls, and a refusal names its entry.
@Suite struct FixtureApplyTests {
    private static let id = "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"

    private static func fixtures(material: [UInt8], enabled: Bool = true, description: String = "app") throws
        -> Fixtures
    {
        try Fixtures.parse(
            """
            keys:
              - id: \(id)
                aliases: [alias/app, alias/app-2]
                description: \(description)
                enabled: \(enabled)
                material: \(Base64.encode(material))
            """, origin: "test.yaml")
    }

    @Test func aKeyIsMadeWithItsAliasesThenChangedInPlace() throws {
        let h = try SSMHarness()
        let material = [UInt8](repeating: 7, count: 32)
        let first = try Self.fixtures(material: material).apply(
            kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, origin: "test.yaml")
        #expect(first.keysCreated == 1)
        #expect(h.kmsHarness.kms.aliases[Scoped("alias/app", in: .home)]?.keyID.description == Self.id)
        #expect(h.kmsHarness.kms.aliases[Scoped("alias/app-2", in: .home)]?.keyID.description == Self.id)

        let again = try Self.fixtures(material: material).apply(
            kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, origin: "test.yaml")
        #expect(again.keysCreated == 0 && again.keysChanged == 0)

        let changed = try Self.fixtures(material: material, enabled: false, description: "other")
            .apply(kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, origin: "test.yaml")
        #expect(changed.keysChanged == 1)
        let id = try #require(KeyID(Self.id))
        let key = try #require(h.kmsHarness.kms.keys[KeyAddress(id, in: .home)])
        #expect(key.record.description == "other")
        #expect(key.record.state == .disabled)
    }

    @Test func otherMaterialForAnExistingKeyIsRefusedWithItsPlace() throws {
        let h = try SSMHarness()
        _ = try Self.fixtures(material: [UInt8](repeating: 7, count: 32))
            .apply(kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, origin: "test.yaml")
        let error = #expect(throws: SetupError.self) {
            try Self.fixtures(material: [UInt8](repeating: 8, count: 32))
                .apply(kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context, origin: "test.yaml")
        }
        #expect(error?.description.hasPrefix("test.yaml: keys[0]: ") == true)
        #expect(error?.description.contains("already exists with other material") == true)
    }
}
