import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@Suite struct KMSCryptoTests {
    @Test func encryptDecryptWithEveryKeyReference() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        _ = try h.ok("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": id])
        let references = [
            id, "arn:aws:kms:us-east-1:123456789012:key/\(id)", "alias/app",
            "arn:aws:kms:us-east-1:123456789012:alias/app",
        ]
        for reference in references {
            #expect(try h.decrypt(try h.encrypt(reference, "via \(reference)")) == "via \(reference)")
        }
        #expect(h.error("Encrypt", ["KeyId": "alias/missing", "Plaintext": "eA=="])?.type == "NotFoundException")
        #expect(
            h.error("Encrypt", ["KeyId": "arn:aws:kms:us-east-1:999999999999:key/\(id)", "Plaintext": "eA=="])?.type
                == "NotFoundException")
    }

    @Test func encryptionContextIsBound() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let blob = try h.encrypt(id, "ctx", context: ["tenant": "a", "app": "b"])
        #expect(try h.decrypt(blob, context: ["app": "b", "tenant": "a"]) == "ctx")
        for wrong in [[:], ["tenant": "a"], ["tenant": "A", "app": "b"], ["tenant": "a", "app": "b", "x": "y"]] {
            let error = h.error("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": wrong])
            #expect(error?.type == "InvalidCiphertextException")
            #expect(error?.message == "")
        }
    }

    /// A decrypted blob's message key is remembered; the key's state, the expected key and the
    /// context still decide every Decrypt after.
    @Test func aRememberedBlobStillObeysTheKeyStateAndContext() throws {
        let h = try KMSHarness()
        let key = try h.createKey()
        let other = try h.createKey()
        let blob = try h.encrypt(key, "twice", context: ["app": "a"])
        #expect(try h.decrypt(blob, context: ["app": "a"]) == "twice")
        #expect(try h.decrypt(blob, context: ["app": "a"]) == "twice")
        #expect(
            h.error("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": ["app": "b"]])?.type
                == "InvalidCiphertextException")
        #expect(
            h.error("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": ["app": "a"], "KeyId": other])?.type
                == "IncorrectKeyException")
        _ = try h.ok("DisableKey", ["KeyId": key])
        #expect(
            h.error("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": ["app": "a"]])?.type
                == "DisabledException")
        _ = try h.ok("EnableKey", ["KeyId": key])
        #expect(try h.decrypt(blob, context: ["app": "a"]) == "twice")
        _ = try h.ok("ScheduleKeyDeletion", ["KeyId": key, "PendingWindowInDays": 7])
        #expect(
            h.error("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": ["app": "a"]])?.type
                == "KMSInvalidStateException")
    }

    @Test func decryptWithAnotherKeyIdIsIncorrectKey() throws {
        let h = try KMSHarness()
        let a = try h.createKey()
        let b = try h.createKey()
        let blob = try h.encrypt(a, "mine")
        #expect(h.error("Decrypt", ["CiphertextBlob": blob, "KeyId": b])?.type == "IncorrectKeyException")
        #expect(
            try h.ok("Decrypt", ["CiphertextBlob": blob, "KeyId": a])["KeyId"] as? String
                == "arn:aws:kms:us-east-1:123456789012:key/\(a)")
    }

    @Test func tamperedCiphertextIsInvalid() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let blob = try Base64.decode(Array(try h.encrypt(id, "tamper me").utf8))
        for index in stride(from: 0, to: blob.count, by: 7) {
            var tampered = blob
            tampered[index] ^= 0x80
            #expect(
                h.error("Decrypt", ["CiphertextBlob": Base64.encode(tampered)])?.type == "InvalidCiphertextException")
        }
        #expect(
            h.error("Decrypt", ["CiphertextBlob": Base64.encode(Array(blob.prefix(20)))])?.type
                == "InvalidCiphertextException")
    }

    @Test func plaintextLimits() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let max = Base64.encode([UInt8](repeating: 1, count: 4096))
        #expect(h.error("Encrypt", ["KeyId": id, "Plaintext": max]) == nil)
        let over = h.error("Encrypt", ["KeyId": id, "Plaintext": Base64.encode([UInt8](repeating: 1, count: 4097))])
        #expect(
            over?.message
                == "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
        )
        #expect(h.error("Encrypt", ["KeyId": id, "Plaintext": ""])?.type == "ValidationException")
    }

    @Test func generateDataKeyNeedsExactlyOneSize() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let key = try h.ok("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_128"])
        let plaintext = try Base64.decode(Array((key["Plaintext"] as! String).utf8))
        #expect(plaintext.count == 16)
        let opened = try h.ok("Decrypt", ["CiphertextBlob": key["CiphertextBlob"]!])
        #expect(opened["Plaintext"] as? String == key["Plaintext"] as? String)
        #expect(
            try Base64.decode(
                Array((try h.ok("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 1024])["Plaintext"] as! String).utf8)
            ).count == 1024)
        #expect(h.error("GenerateDataKey", ["KeyId": id])?.type == "ValidationException")
        #expect(
            h.error("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256", "NumberOfBytes": 32])?.type
                == "ValidationException")
        #expect(h.error("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 0])?.type == "ValidationException")
        #expect(h.error("GenerateDataKey", ["KeyId": id, "NumberOfBytes": 1025])?.type == "ValidationException")
        let without = try h.ok("GenerateDataKeyWithoutPlaintext", ["KeyId": id, "KeySpec": "AES_256"])
        #expect(without["Plaintext"] == nil)
        #expect(without["CiphertextBlob"] is String)
    }

    @Test func reEncryptMovesBetweenKeysAndContexts() throws {
        let h = try KMSHarness()
        let a = try h.createKey()
        let b = try h.createKey()
        let blob = try h.encrypt(a, "moving", context: ["from": "a"])
        let moved = try h.ok(
            "ReEncrypt",
            [
                "CiphertextBlob": blob, "SourceEncryptionContext": ["from": "a"], "DestinationKeyId": b,
                "DestinationEncryptionContext": ["to": "b"],
            ])
        #expect((moved["SourceKeyId"] as? String)?.hasSuffix(a) == true)
        #expect((moved["KeyId"] as? String)?.hasSuffix(b) == true)
        #expect(try h.decrypt(moved["CiphertextBlob"] as! String, context: ["to": "b"]) == "moving")
        #expect(
            h.error("ReEncrypt", ["CiphertextBlob": blob, "DestinationKeyId": b])?.type == "InvalidCiphertextException")
    }

    @Test func onDemandRotationKeepsOldCiphertextsAndIsLimited() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        let old = try h.encrypt(id, "v1 data")
        _ = try h.ok("RotateKeyOnDemand", ["KeyId": id])
        let new = try h.encrypt(id, "v2 data")
        let oldHeader = try Envelope.header(of: try Base64.decode(Array(old.utf8)))
        let newHeader = try Envelope.header(of: try Base64.decode(Array(new.utf8)))
        #expect(oldHeader.keyVersion == 1)
        #expect(newHeader.keyVersion == 2)
        #expect(try h.decrypt(old) == "v1 data")
        #expect(try h.decrypt(new) == "v2 data")
        let rotations = try #require(try h.ok("ListKeyRotations", ["KeyId": id])["Rotations"] as? [[String: Any]])
        #expect(rotations.map { $0["RotationType"] as? String } == ["ON_DEMAND"])
        for _ in 1..<KMS.maxOnDemandRotations { _ = try h.ok("RotateKeyOnDemand", ["KeyId": id]) }
        #expect(h.error("RotateKeyOnDemand", ["KeyId": id])?.type == "LimitExceededException")
        #expect(try h.decrypt(old) == "v1 data")
    }

    @Test func automaticRotationHappensWhenDue() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        _ = try h.ok("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 90])
        let status = try h.ok("GetKeyRotationStatus", ["KeyId": id])
        #expect(status["KeyRotationEnabled"] as? Bool == true)
        #expect(status["RotationPeriodInDays"] as? Int == 90)
        #expect(status["NextRotationDate"] as? Double == h.clock.now() + 90 * 86_400)
        h.clock.advance(by: 89 * 86_400)
        #expect(try h.kms.rotateDueKeys() == 0)
        h.clock.advance(by: 86_400)
        #expect(try h.kms.rotateDueKeys() == 1)
        let rotations = try #require(try h.ok("ListKeyRotations", ["KeyId": id])["Rotations"] as? [[String: Any]])
        #expect(rotations.map { $0["RotationType"] as? String } == ["AUTOMATIC"])
        _ = try h.ok("DisableKeyRotation", ["KeyId": id])
        #expect(try h.ok("GetKeyRotationStatus", ["KeyId": id])["KeyRotationEnabled"] as? Bool == false)
    }

    @Test func generateRandomBounds() throws {
        let h = try KMSHarness()
        let random = try h.ok("GenerateRandom", ["NumberOfBytes": 32])
        #expect(try Base64.decode(Array((random["Plaintext"] as! String).utf8)).count == 32)
        #expect(h.error("GenerateRandom", ["NumberOfBytes": 1025])?.type == "ValidationException")
        #expect(h.error("GenerateRandom", ["NumberOfBytes": 0])?.type == "ValidationException")
    }
}

@Suite struct KMSAliasTests {
    @Test func aliasRulesFollowAWS() throws {
        let h = try KMSHarness()
        let a = try h.createKey()
        let b = try h.createKey()
        _ = try h.ok("CreateAlias", ["AliasName": "alias/app/db_1-x", "TargetKeyId": a])
        #expect(
            h.error("CreateAlias", ["AliasName": "alias/app/db_1-x", "TargetKeyId": a])?.type
                == "AlreadyExistsException")
        #expect(
            h.error("CreateAlias", ["AliasName": "alias/aws/mine", "TargetKeyId": a])?.type == "NotAuthorizedException")
        #expect(
            h.error("CreateAlias", ["AliasName": "alias/bad name", "TargetKeyId": a])?.type == "ValidationException")
        #expect(h.error("CreateAlias", ["AliasName": "noprefix", "TargetKeyId": a])?.type == "ValidationException")
        #expect(
            h.error("CreateAlias", ["AliasName": "alias/other", "TargetKeyId": "alias/app/db_1-x"])?.type
                == "ValidationException")
        _ = try h.ok("UpdateAlias", ["AliasName": "alias/app/db_1-x", "TargetKeyId": b])
        let listed = try #require(try h.ok("ListAliases", ["KeyId": b])["Aliases"] as? [[String: Any]])
        #expect(listed.map { $0["AliasName"] as? String } == ["alias/app/db_1-x"])
        #expect(try #require(try h.ok("ListAliases", ["KeyId": a])["Aliases"] as? [[String: Any]]).isEmpty)
        _ = try h.ok("DeleteAlias", ["AliasName": "alias/app/db_1-x"])
        #expect(h.error("DeleteAlias", ["AliasName": "alias/app/db_1-x"])?.type == "NotFoundException")
    }

    @Test func listAliasesPages() throws {
        let h = try KMSHarness()
        let id = try h.createKey()
        for index in 0..<7 { _ = try h.ok("CreateAlias", ["AliasName": "alias/a\(index)", "TargetKeyId": id]) }
        let first = try h.ok("ListAliases", ["Limit": 5])
        #expect((first["Aliases"] as! [Any]).count == 5)
        #expect(first["Truncated"] as? Bool == true)
        let second = try h.ok("ListAliases", ["Limit": 5, "Marker": first["NextMarker"]!])
        #expect((second["Aliases"] as! [[String: Any]]).map { $0["AliasName"] as! String } == ["alias/a5", "alias/a6"])
        #expect(second["Truncated"] as? Bool == false)
    }
}
