import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@Suite struct KMSKeyLifecycleTests {
    @Test func createDescribeAndListKeys() throws {
        let h = try KMSHarness()
        let id = try h.createKey(["Description": "app key", "Tags": [["TagKey": "team", "TagValue": "a"]]])
        let metadata = try #require(try h.ok("DescribeKey", ["KeyId": id])["KeyMetadata"] as? [String: Any])
        #expect(metadata["Arn"] as? String == "arn:aws:kms:us-east-1:123456789012:key/\(id)")
        #expect(metadata["KeyState"] as? String == "Enabled")
        #expect(metadata["Description"] as? String == "app key")
        #expect(metadata["AWSAccountId"] as? String == "123456789012")
        let keys = try #require(try h.ok("ListKeys")["Keys"] as? [[String: Any]])
        #expect(keys.map { $0["KeyId"] as? String } == [id])
        let tags = try #require(try h.ok("ListResourceTags", ["KeyId": id])["Tags"] as? [[String: String]])
        #expect(tags == [["TagKey": "team", "TagValue": "a"]])
    }

    @Test func disabledKeysRefuseCryptoAndEnableRestoresThem() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let blob = try h.encrypt(id, "before")
        _ = try h.ok("DisableKey", ["KeyId": id])
        #expect(h.error("Encrypt", ["KeyId": id, "Plaintext": "eA=="])?.type == "DisabledException")
        #expect(h.error("Decrypt", ["CiphertextBlob": blob])?.type == "DisabledException")
        _ = try h.ok("EnableKey", ["KeyId": id])
        #expect(try h.decrypt(blob) == "before")
    }

    @Test func deletionWindowThenCancelLeavesKeyDisabled() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let scheduled = try h.ok("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        #expect(scheduled["KeyState"] as? String == "PendingDeletion")
        #expect(scheduled["DeletionDate"] as? Double == h.clock.now() + 7 * 86_400)
        #expect(h.error("Encrypt", ["KeyId": id, "Plaintext": "eA=="])?.type == "KMSInvalidStateException")
        #expect(h.error("ScheduleKeyDeletion", ["KeyId": id])?.type == "KMSInvalidStateException")
        _ = try h.ok("CancelKeyDeletion", ["KeyId": id])
        let metadata = try #require(try h.ok("DescribeKey", ["KeyId": id])["KeyMetadata"] as? [String: Any])
        #expect(metadata["KeyState"] as? String == "Disabled")
        #expect(h.error("CancelKeyDeletion", ["KeyId": id])?.type == "KMSInvalidStateException")
    }

    /// Fixtures choose key ids, so a deleted key's id can come back with other material: the new
    /// key must not open the old key's ciphertexts through a remembered message key.
    @Test func aKeyRecreatedUnderADeletedKeysIdCannotReadItsCiphertexts() throws {
        let h = try KMSHarness()
        let ssm = try SSM(store: h.store, kms: h.kms, clock: h.clock)
        let id = KeyID.random().description
        func load(material byte: UInt8) throws {
            let text = "keys:\n  - id: \(id)\n    material: \(Base64.encode(Array(repeating: byte, count: 32)))\n"
            _ = try Fixtures.parse(text, origin: "test").apply(kms: h.kms, ssm: ssm, context: h.context, origin: "test")
        }
        try load(material: 1)
        let blob = try h.encrypt(id, "old")
        #expect(try h.decrypt(blob) == "old")
        _ = try h.ok("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        h.clock.advance(by: 7 * 86_400)
        #expect(try h.kms.purgeDeletedKeys() == 1)
        try load(material: 2)
        #expect(h.error("Decrypt", ["CiphertextBlob": blob])?.type == "InvalidCiphertextException")
    }

    @Test func keyIsReallyDeletedWhenTheWindowEnds() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        _ = try h.ok("CreateAlias", ["AliasName": "alias/doomed", "TargetKeyId": id])
        _ = try h.ok("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        h.clock.advance(by: 7 * 86_400 - 1)
        #expect(try h.kms.purgeDeletedKeys() == 0)
        #expect(h.error("DescribeKey", ["KeyId": id]) == nil)
        h.clock.advance(by: 1)
        // Gone at once for callers, then purged from the store.
        #expect(h.error("DescribeKey", ["KeyId": id])?.type == "NotFoundException")
        #expect(try h.kms.purgeDeletedKeys() == 1)
        #expect(try h.store.loadKeys().isEmpty)
        #expect(try h.store.loadAliases().isEmpty)
        #expect(h.error("DescribeKey", ["KeyId": "alias/doomed"])?.type == "NotFoundException")
    }

    @Test func validationMessagesFollowAWSStyle() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let window = h.error("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 6])
        #expect(window?.type == "ValidationException")
        #expect(
            window?.message
                == "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7"
        )
        #expect(
            h.error("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 31])?.type == "ValidationException")
        let limit = h.error("ListKeys", ["Limit": 1001])
        #expect(limit?.message.hasSuffix("Member must have value less than or equal to 1000") == true)
        #expect(h.error("ListAliases", ["Limit": 101])?.type == "ValidationException")
        #expect(h.error("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 89])?.type == "ValidationException")
        let spec = h.error("CreateKey", ["KeySpec": "AES_999"])
        #expect(spec?.message.contains("Member must satisfy enum value set") == true)
        #expect(
            h.error("CreateKey", ["KeySpec": "ML_DSA_65", "KeyUsage": "SIGN_VERIFY"])?.type
                == "UnsupportedOperationException")
        let missing = h.error("DescribeKey")
        #expect(
            missing?.message
                == "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
        )
    }

    @Test func malformedBodiesAreSerializationErrors() throws {
        let h = try KMSHarness()
        let op = KMS.operations["DescribeKey"]!
        for body in ["{", "[]", "{\"KeyId\": 5}", "nope"] {
            #expect(throws: AWSError.self) {
                _ = try op(h.kms, body: Array(body.utf8), context: h.context)
            }
            do {
                _ = try op(h.kms, body: Array(body.utf8), context: h.context)
            } catch {
                #expect(error.type == "SerializationException", "\(body)")
            }
        }
        #expect(h.error("Decrypt", ["CiphertextBlob": "not base64!"])?.type == "SerializationException")
    }

    @Test func listKeysPagesWithMarkers() throws {
        let h = try KMSHarness()
        var created = Set<String>()
        for _ in 0..<5 { created.insert(try h.createKey()) }
        var seen: [String] = []
        var marker: String? = nil
        repeat {
            var body: [String: Any] = ["Limit": 2]
            if let marker { body["Marker"] = marker }
            let page = try h.ok("ListKeys", body)
            seen += (page["Keys"] as! [[String: Any]]).map { $0["KeyId"] as! String }
            marker = page["NextMarker"] as? String
            #expect((page["Truncated"] as? Bool) == (marker != nil))
        } while marker != nil
        #expect(seen.count == 5)
        #expect(Set(seen) == created)
        #expect(h.error("ListKeys", ["Marker": "***"])?.type == "InvalidMarkerException")
    }

    @Test func keyPoliciesAreStoredNotEnforced() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let initial = try h.ok("GetKeyPolicy", ["KeyId": id, "PolicyName": "default"])
        #expect((initial["Policy"] as? String)?.contains("arn:aws:iam::123456789012:root") == true)
        let policy = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
        _ = try h.ok("PutKeyPolicy", ["KeyId": id, "PolicyName": "default", "Policy": policy])
        #expect(try h.ok("GetKeyPolicy", ["KeyId": id])["Policy"] as? String == policy)
        #expect(
            h.error("PutKeyPolicy", ["KeyId": id, "Policy": "not json"])?.type == "MalformedPolicyDocumentException")
        #expect(try h.ok("ListKeyPolicies", ["KeyId": id])["PolicyNames"] as? [String] == ["default"])
    }

    @Test func stateSurvivesReloadFromTheStore() throws {
        let h = try KMSHarness()
        let id = try h.createKey(["Description": "persisted"])
        _ = try h.ok("RotateKeyOnDemand", ["KeyId": id])
        let blob = try h.encrypt(id, "after rotation")
        let reopened = try KMS(store: h.store, rootKey: h.root, clock: h.clock)
        let response = try reopened.decrypt(
            try Base64.decode(Array(blob.utf8)), encryptionContext: EncryptionContext(), expectedKey: nil,
            context: h.context)
        #expect(response.plaintext.constantTimeEquals(Array("after rotation".utf8)))
        #expect(throws: (any Error).self) { try KMS(store: h.store, rootKey: .random(count: 32), clock: h.clock) }
    }
}
