import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

/// The parts of multi-Region keys that take time: automatic rotation, and deletion of a primary
/// that waits for its replicas.
@Suite struct MultiRegionKeyTests {
    static let west = RequestContext(region: "eu-west-1", accountID: "123456789012", principal: .anonymous)

    static func primaryWithReplica(_ h: KMSHarness) throws -> String {
        let id = try h.createKey(["MultiRegion": true])
        _ = try h.ok("ReplicateKey", ["KeyId": id, "ReplicaRegion": "eu-west-1"])
        return id
    }

    static func metadata(_ h: KMSHarness, _ id: String, _ context: RequestContext) throws -> [String: Any] {
        let answer = try callOperation(KMS.operations["DescribeKey"]!, on: h.kms, ["KeyId": id], context: context).get()
        return try #require(answer["KeyMetadata"] as? [String: Any])
    }

    @Test func automaticRotationOfThePrimaryReachesItsReplicaOnce() throws {
        let h = try KMSHarness()
        let id = try Self.primaryWithReplica(h)
        _ = try h.ok("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 90])
        h.clock.advance(by: 90 * 86_400)
        // The replica shares the schedule but rotates with its primary, not on its own.
        #expect(try h.kms.rotateDueKeys() == 1)
        let address = try #require(KeyID(id))
        let east = try #require(h.kms.keys[KeyAddress(address, in: .home)])
        let west = try #require(h.kms.keys[KeyAddress(address, in: Self.west.scope)])
        #expect(east.currentVersion == 2 && west.currentVersion == 2)
        #expect(west.material[2]?.constantTimeEquals(east.material[2]!.withUnsafeBytes(Array.init)) == true)
        #expect(try h.kms.rotateDueKeys() == 0)
    }

    @Test func aPrimaryStartsItsWindowWhenItsLastReplicaIsDeleted() throws {
        let h = try KMSHarness()
        let id = try Self.primaryWithReplica(h)
        _ = try h.ok("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        #expect(try Self.metadata(h, id, h.context)["KeyState"] as? String == "PendingReplicaDeletion")
        _ = try callOperation(
            KMS.operations["ScheduleKeyDeletion"]!, on: h.kms, ["KeyId": id, "PendingWindowInDays": 7],
            context: Self.west
        ).get()
        h.clock.advance(by: 7 * 86_400)
        // The replica goes; the primary's own seven days start now.
        #expect(try h.kms.purgeDeletedKeys() == 1)
        let primary = try Self.metadata(h, id, h.context)
        #expect(primary["KeyState"] as? String == "PendingDeletion")
        #expect(primary["DeletionDate"] as? Double == h.clock.now() + 7 * 86_400)
        let config = try #require(primary["MultiRegionConfiguration"] as? [String: Any])
        #expect((config["ReplicaKeys"] as? [Any])?.isEmpty == true)
        #expect(h.error("DescribeKey", ["KeyId": id]) == nil)
        h.clock.advance(by: 7 * 86_400)
        #expect(try h.kms.purgeDeletedKeys() == 1)
        #expect(h.error("DescribeKey", ["KeyId": id])?.type == "NotFoundException")
        #expect(try h.store.loadKeys().isEmpty)
    }
}
