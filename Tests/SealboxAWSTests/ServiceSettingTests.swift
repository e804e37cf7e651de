import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

/// Service settings through the SSM wire operations, on a store that can be made to fail.
@Suite struct ServiceSettingTests {
    let kms: KMSHarness
    let store: CountingStore
    let ssm: SSM

    init() throws {
        kms = try KMSHarness()
        store = CountingStore(kms.store)
        ssm = try SSM(store: store, kms: kms.kms, clock: kms.clock)
    }

    func call(_ operation: String, _ body: [String: Any], on ssm: SSM? = nil) -> Result<[String: Any], AWSError> {
        callOperation(SSM.operations[operation]!, on: ssm ?? self.ssm, body, context: kms.context)
    }

    func setting(_ id: String, on ssm: SSM? = nil) throws -> [String: Any] {
        let answer = try call("GetServiceSetting", ["SettingId": id], on: ssm).get()
        return try #require(answer["ServiceSetting"] as? [String: Any])
    }

    static let tier = "/ssm/parameter-store/default-parameter-tier"

    @Test func aChangeOutlivesARestartAndAResetRemovesIt() throws {
        #expect(try setting(Self.tier)["Status"] as? String == "Default")
        _ = try call("UpdateServiceSetting", ["SettingId": Self.tier, "SettingValue": "Advanced"]).get()
        let restarted = try SSM(store: store, kms: kms.kms, clock: kms.clock)
        let kept = try setting(Self.tier, on: restarted)
        #expect(kept["SettingValue"] as? String == "Advanced" && kept["Status"] as? String == "Customized")
        _ = try call("ResetServiceSetting", ["SettingId": Self.tier], on: restarted).get()
        let again = try SSM(store: store, kms: kms.kms, clock: kms.clock)
        #expect(try setting(Self.tier, on: again)["SettingValue"] as? String == "Standard")
    }

    @Test func aFailedWriteChangesNothing() throws {
        store.failing.withLock { $0 = true }
        let failed = call("UpdateServiceSetting", ["SettingId": Self.tier, "SettingValue": "Advanced"])
        #expect(throws: AWSError.self) { try failed.get() }
        store.failing.withLock { $0 = false }
        #expect(try setting(Self.tier)["Status"] as? String == "Default")
        #expect(try store.loadServiceSettings().isEmpty)
    }

    @Test func theDefaultTierAppliesToPutsThatNameNone() throws {
        _ = try call("UpdateServiceSetting", ["SettingId": Self.tier, "SettingValue": "Intelligent-Tiering"]).get()
        let small = try call("PutParameter", ["Name": "/tiers/small", "Value": "x", "Type": "String"]).get()
        #expect(small["Tier"] as? String == "Standard")
        let large = try call(
            "PutParameter", ["Name": "/tiers/large", "Value": String(repeating: "x", count: 5000), "Type": "String"]
        ).get()
        #expect(large["Tier"] as? String == "Advanced")
        _ = try call("UpdateServiceSetting", ["SettingId": Self.tier, "SettingValue": "Advanced"]).get()
        let advanced = try call("PutParameter", ["Name": "/tiers/small", "Value": "y", "Overwrite": true]).get()
        #expect(advanced["Tier"] as? String == "Advanced")
        // Named on the call, the tier wins; Advanced never goes back down without being named.
        _ = try call("UpdateServiceSetting", ["SettingId": Self.tier, "SettingValue": "Standard"]).get()
        let kept = try call("PutParameter", ["Name": "/tiers/small", "Value": "z", "Overwrite": true]).get()
        #expect(kept["Tier"] as? String == "Advanced")
    }
}
