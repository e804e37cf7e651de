import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

/// HMAC keys through the wire operations: CreateKey, DescribeKey, GenerateMac, VerifyMac and the
/// refusals AWS answers for the wrong usage, algorithm or spec.
@Suite struct KMSMacTests {
    static let specs: [(spec: String, algorithm: String, length: Int)] = [
        ("HMAC_224", "HMAC_SHA_224", 28), ("HMAC_256", "HMAC_SHA_256", 32), ("HMAC_384", "HMAC_SHA_384", 48),
        ("HMAC_512", "HMAC_SHA_512", 64),
    ]

    static func createHMACKey(_ h: KMSHarness, _ spec: String) throws -> String {
        try h.createKey(["KeySpec": spec, "KeyUsage": "GENERATE_VERIFY_MAC"])
    }

    @Test(arguments: specs) func macsVerifyAndMatchTheKeysMaterial(
        _ spec: (spec: String, algorithm: String, length: Int)
    ) throws {
        let h = try KMSHarness()
        let id = try Self.createHMACKey(h, spec.spec)
        let message = Base64.encode(Array("webhook body".utf8))
        let generated = try h.ok("GenerateMac", ["KeyId": id, "Message": message, "MacAlgorithm": spec.algorithm])
        #expect(generated["MacAlgorithm"] as? String == spec.algorithm)
        #expect(generated["KeyId"] as? String == "arn:aws:kms:us-east-1:123456789012:key/\(id)")
        let macText = try #require(generated["Mac"] as? String)
        let mac = try Base64.decode(Array(macText.utf8))
        #expect(mac.count == spec.length)

        // The MAC is the HMAC under the stored material, which is as long as the digest.
        let keyID = try #require(KeyID(id))
        let key = try #require(h.kms.keys[KeyAddress(keyID, in: .home)])
        let material = try #require(key.material[1])
        #expect(material.count == spec.length)
        let hash = try #require(MacAlgorithm(rawValue: spec.algorithm)).hash
        #expect(mac == HMAC.mac(hash, key: material, Array("webhook body".utf8)))

        let verified = try h.ok(
            "VerifyMac",
            ["KeyId": id, "Message": message, "MacAlgorithm": spec.algorithm, "Mac": Base64.encode(mac)])
        #expect(verified["MacValid"] as? Bool == true)
        #expect(verified["MacAlgorithm"] as? String == spec.algorithm)
        var wrong = mac
        wrong[0] ^= 1
        let refused = h.error(
            "VerifyMac",
            ["KeyId": id, "Message": message, "MacAlgorithm": spec.algorithm, "Mac": Base64.encode(wrong)])
        #expect(refused?.type == "KMSInvalidMacException")
        let otherMessage = h.error(
            "VerifyMac",
            [
                "KeyId": id, "Message": Base64.encode(Array("webhook bodY".utf8)), "MacAlgorithm": spec.algorithm,
                "Mac": Base64.encode(mac),
            ])
        #expect(otherMessage?.type == "KMSInvalidMacException")
    }

    @Test func describeKeyNamesTheSpecUsageAndMacAlgorithms() throws {
        let h = try KMSHarness()
        let created = try h.ok("CreateKey", ["KeySpec": "HMAC_384", "KeyUsage": "GENERATE_VERIFY_MAC"])
        let id = try #require((created["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
        for response in [created, try h.ok("DescribeKey", ["KeyId": id])] {
            let metadata = try #require(response["KeyMetadata"] as? [String: Any])
            #expect(metadata["KeySpec"] as? String == "HMAC_384")
            #expect(metadata["CustomerMasterKeySpec"] as? String == "HMAC_384")
            #expect(metadata["KeyUsage"] as? String == "GENERATE_VERIFY_MAC")
            #expect(metadata["MacAlgorithms"] as? [String] == ["HMAC_SHA_384"])
            #expect(metadata["EncryptionAlgorithms"] == nil)
        }
        let symmetric = try h.ok("DescribeKey", ["KeyId": try h.createKey()])["KeyMetadata"] as? [String: Any]
        #expect(symmetric?["EncryptionAlgorithms"] as? [String] == ["SYMMETRIC_DEFAULT"])
        #expect(symmetric?["MacAlgorithms"] == nil)
        #expect(symmetric?["KeyUsage"] as? String == "ENCRYPT_DECRYPT")
    }

    @Test func createKeyRefusesInvalidPairsAndUnsupportedSpecs() throws {
        let h = try KMSHarness()
        #expect(
            h.error("CreateKey", ["KeySpec": "HMAC_256", "KeyUsage": "ENCRYPT_DECRYPT"])?.type == "ValidationException")
        #expect(h.error("CreateKey", ["KeySpec": "HMAC_256"])?.type == "ValidationException")
        #expect(h.error("CreateKey", ["KeyUsage": "GENERATE_VERIFY_MAC"])?.type == "ValidationException")
        #expect(h.error("CreateKey", ["KeySpec": "RSA_2048"])?.type == "ValidationException")
        #expect(
            h.error("CreateKey", ["KeySpec": "ML_DSA_44", "KeyUsage": "SIGN_VERIFY"])?.type
                == "UnsupportedOperationException")
        #expect(h.error("CreateKey", ["KeySpec": "HMAC_1024"])?.type == "ValidationException")
        #expect(h.kms.keyCount == 0)
    }

    @Test func symmetricOperationsRefuseAnHMACKey() throws {
        let h = try KMSHarness()
        let mac = try Self.createHMACKey(h, "HMAC_256")
        let symmetric = try h.createKey()
        let blob = try h.encrypt(symmetric, "secret")
        let plaintext = Base64.encode(Array("x".utf8))
        let refusals: [(String, [String: Any])] = [
            ("Encrypt", ["KeyId": mac, "Plaintext": plaintext]),
            ("GenerateDataKey", ["KeyId": mac, "KeySpec": "AES_256"]),
            ("GenerateDataKeyWithoutPlaintext", ["KeyId": mac, "NumberOfBytes": 32]),
            ("ReEncrypt", ["CiphertextBlob": blob, "DestinationKeyId": mac]),
            ("Decrypt", ["CiphertextBlob": blob, "KeyId": mac]),
            ("Encrypt", ["KeyId": mac, "Plaintext": plaintext, "DryRun": true]),
        ]
        for (operation, body) in refusals {
            #expect(h.error(operation, body)?.type == "InvalidKeyUsageException", "\(operation)")
        }
        #expect(
            h.error("GenerateMac", ["KeyId": symmetric, "Message": plaintext, "MacAlgorithm": "HMAC_SHA_256"])?.type
                == "InvalidKeyUsageException")
        #expect(
            h.error(
                "VerifyMac",
                ["KeyId": symmetric, "Message": plaintext, "MacAlgorithm": "HMAC_SHA_256", "Mac": plaintext])?.type
                == "InvalidKeyUsageException")
    }

    @Test func theAlgorithmMustBeTheKeySpecs() throws {
        let h = try KMSHarness()
        let id = try Self.createHMACKey(h, "HMAC_256")
        let message = Base64.encode(Array("m".utf8))
        #expect(
            h.error("GenerateMac", ["KeyId": id, "Message": message, "MacAlgorithm": "HMAC_SHA_512"])?.type
                == "InvalidKeyUsageException")
        #expect(
            h.error("GenerateMac", ["KeyId": id, "Message": message, "MacAlgorithm": "HMAC_MD5"])?.type
                == "ValidationException")
        #expect(h.error("GenerateMac", ["KeyId": id, "Message": message])?.type == "ValidationException")
    }

    @Test func messageSizeLimitsAndDryRun() throws {
        let h = try KMSHarness()
        let id = try Self.createHMACKey(h, "HMAC_256")
        let body = { (count: Int) -> [String: Any] in
            [
                "KeyId": id, "Message": Base64.encode([UInt8](repeating: 7, count: count)),
                "MacAlgorithm": "HMAC_SHA_256",
            ]
        }
        #expect(try h.ok("GenerateMac", body(4096))["Mac"] != nil)
        #expect(h.error("GenerateMac", body(4097))?.type == "ValidationException")
        #expect(h.error("GenerateMac", body(0))?.type == "ValidationException")
        var dry = body(1)
        dry["DryRun"] = true
        #expect(h.error("GenerateMac", dry)?.type == "DryRunOperationException")
        dry["Mac"] = Base64.encode([1])
        #expect(h.error("VerifyMac", dry)?.type == "DryRunOperationException")
        var noMac = body(1)
        noMac["Mac"] = nil
        #expect(h.error("VerifyMac", noMac)?.type == "ValidationException")
    }

    @Test func aDisabledHMACKeyMacsNothing() throws {
        let h = try KMSHarness()
        let id = try Self.createHMACKey(h, "HMAC_224")
        _ = try h.ok("DisableKey", ["KeyId": id])
        #expect(
            h.error("GenerateMac", ["KeyId": id, "Message": "bQ==", "MacAlgorithm": "HMAC_SHA_224"])?.type
                == "DisabledException")
    }

    @Test func hmacKeysDoNotRotate() throws {
        let h = try KMSHarness()
        let id = try Self.createHMACKey(h, "HMAC_512")
        for operation in ["EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"] {
            #expect(h.error(operation, ["KeyId": id])?.type == "UnsupportedOperationException", "\(operation)")
        }
        #expect(try h.ok("GetKeyRotationStatus", ["KeyId": id])["KeyRotationEnabled"] as? Bool == false)
    }

    @Test func theSpecAndUsageSurviveAReload() throws {
        let h = try KMSHarness()
        let id = try Self.createHMACKey(h, "HMAC_384")
        let before = try h.ok("GenerateMac", ["KeyId": id, "Message": "bQ==", "MacAlgorithm": "HMAC_SHA_384"])
        let reopened = try KMS(store: h.store, rootKey: h.root, clock: h.clock)
        let keyID = try #require(KeyID(id))
        let key = try #require(reopened.keys[KeyAddress(keyID, in: .home)])
        #expect(key.record.spec == .hmac384)
        #expect(key.record.usage == .generateVerifyMac)
        let after = try callOperation(
            KMS.operations["GenerateMac"]!, on: reopened,
            ["KeyId": id, "Message": "bQ==", "MacAlgorithm": "HMAC_SHA_384"], context: h.context
        ).get()
        #expect(after["Mac"] as? String == before["Mac"] as? String)
    }

    /// A record stored before keys had a spec (given its scope by the store's migration) decodes as a
    /// symmetric encryption key.
    @Test func anOldRecordDecodesAsSymmetric() throws {
        let json = """
            {"id":"1234abcd-12ab-34cd-56ef-1234567890ab","scope":{"account":"123456789012","region":"us-east-1"},\
            "created":1,"description":"","state":"Enabled",\
            "manager":"CUSTOMER","rotationEnabled":false,"onDemandRotations":0,"policy":"{}","tags":[]}
            """
        let record = try JSONDecoder().decode(KeyRecord.self, from: Data(json.utf8))
        #expect(record.spec == .symmetricDefault)
        #expect(record.usage == .encryptDecrypt)
    }
}

/// GenerateMac and VerifyMac are policy actions of their own, audited like Decrypt.
@Suite struct KMSMacPolicyTests {
    @Test func eachOperationIsItsOwnAuditedAction() throws {
        for name in ["GenerateMac", "VerifyMac"] {
            let operation = try #require(KMS.operations[name])
            #expect(operation.action.name == "kms:\(name)")
            #expect(operation.action.audited)
            #expect(!operation.writes)
        }
    }

    @Test func aGrantOfGenerateMacAllowsOnlyThat() throws {
        let h = try KMSHarness()
        let id = try h.createKey(["KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"])
        let policy = try #require(
            try SealboxConfig.parse(
                """
                policy:
                  - principals: ["uid:1001"]
                    allow: ["kms:GenerateMac"]
                    resources: ["\(id)"]
                """, origin: "test.yaml"
            ).policy)
        func call(_ name: String, _ body: [String: Any]) -> Result<[String: Any], AWSError> {
            let operation = KMS.operations[name]!
            let context = RequestContext(
                region: "us-east-1", accountID: "123456789012",
                principal: .process(pid: 10, uid: 1001, gid: 1001, startTime: 1),
                authorization: Authorization(principals: ["uid:1001"], policy: policy), action: operation.action)
            return callOperation(operation, on: h.kms, body, context: context)
        }
        let body: [String: Any] = ["KeyId": id, "Message": "bQ==", "MacAlgorithm": "HMAC_SHA_256"]
        let mac = try #require(try call("GenerateMac", body).get()["Mac"] as? String)
        var verify = body
        verify["Mac"] = mac
        if case .failure(let error) = call("VerifyMac", verify) {
            #expect(error.type == "AccessDeniedException")
        } else {
            Issue.record("VerifyMac was allowed without kms:VerifyMac")
        }
    }
}
