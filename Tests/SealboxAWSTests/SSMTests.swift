import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@Suite struct SSMParameterTests {
    @Test func overwriteBumpsVersionsAndSelectorsReadThem() throws {
        let h = try SSMHarness()
        #expect(try h.put("/app/url", "v1") == 1)
        #expect(
            h.error("PutParameter", ["Name": "/app/url", "Value": "x", "Type": "String"])?.type
                == "ParameterAlreadyExists")
        #expect(try h.put("/app/url", "v2", overwrite: true) == 2)
        #expect(try h.value("/app/url") == "v2")
        #expect(try h.value("/app/url:1") == "v1")
        let selected = try #require(try h.ok("GetParameter", ["Name": "/app/url:1"])["Parameter"] as? [String: Any])
        #expect(selected["Selector"] as? String == ":1")
        #expect(selected["Name"] as? String == "/app/url")
        #expect(h.error("GetParameter", ["Name": "/app/url:3"])?.type == "ParameterVersionNotFound")
        #expect(h.error("GetParameter", ["Name": "/app/missing"])?.type == "ParameterNotFound")
        #expect(try h.value("arn:aws:ssm:us-east-1:123456789012:parameter/app/url") == "v2")
        #expect(try h.value("arn:aws:ssm:us-east-1:123456789012:parameter/app/url:1") == "v1")
    }

    @Test func typeIsRequiredOnCreateAndKeptOnOverwrite() throws {
        let h = try SSMHarness()
        #expect(h.error("PutParameter", ["Name": "/a", "Value": "x"])?.type == "ValidationException")
        try h.put("/list", "a,b,c", type: "StringList")
        try h.put("/list", "d,e", type: "StringList", overwrite: true)
        _ = try h.ok("PutParameter", ["Name": "/list", "Value": "f", "Overwrite": true])
        let parameter = try #require(try h.ok("GetParameter", ["Name": "/list"])["Parameter"] as? [String: Any])
        #expect(parameter["Type"] as? String == "StringList")
        #expect(parameter["Version"] as? Int == 3)
    }

    @Test(arguments: [
        ("aws-thing", "ValidationException"), ("/AWS/thing", "ValidationException"), ("ssm", "ValidationException"),
        ("/Ssm/x", "ValidationException"), ("bad name", "ValidationException"), ("a/b", "ValidationException"),
        ("/a//b", "ValidationException"), ("/a/b/", "ValidationException"),
    ])
    func nameRules(_ name: String, _ code: String) throws {
        let h = try SSMHarness()
        #expect(h.error("PutParameter", ["Name": name, "Value": "x", "Type": "String"])?.type == code)
    }

    @Test func hierarchyDepthAndLengthLimits() throws {
        let h = try SSMHarness()
        let fifteen = "/" + (1...15).map { "l\($0)" }.joined(separator: "/")
        #expect(try h.put(fifteen, "deep") == 1)
        #expect(
            h.error("PutParameter", ["Name": fifteen + "/l16", "Value": "x", "Type": "String"])?.type
                == "HierarchyLevelLimitExceededException")
        let prefix = "arn:aws:ssm:us-east-1:123456789012:parameter/".count
        let longest = "/" + String(repeating: "n", count: 1011 - prefix)
        #expect(try h.put(longest, "long") == 1)
        #expect(
            h.error("PutParameter", ["Name": longest + "n", "Value": "x", "Type": "String"])?.type
                == "ValidationException")
        #expect(try h.put("CaseSensitive", "upper") == 1)
        #expect(try h.put("casesensitive", "lower") == 1)
        #expect(try h.value("CaseSensitive") == "upper")
    }

    @Test func valueLimitsFollowTheTier() throws {
        let h = try SSMHarness()
        try h.put("/std", String(repeating: "s", count: 4096))
        #expect(
            h.error("PutParameter", ["Name": "/std2", "Value": String(repeating: "s", count: 4097), "Type": "String"])?
                .type == "ValidationException")
        try h.put("/adv", String(repeating: "a", count: 8192), extra: ["Tier": "Advanced"])
        #expect(
            h.error(
                "PutParameter",
                ["Name": "/adv2", "Value": String(repeating: "a", count: 8193), "Type": "String", "Tier": "Advanced"])?
                .type
                == "ValidationException")
        let tier = try h.ok(
            "PutParameter",
            [
                "Name": "/auto", "Value": String(repeating: "i", count: 5000), "Type": "String",
                "Tier": "Intelligent-Tiering",
            ])
        #expect(tier["Tier"] as? String == "Advanced")
        #expect(
            h.error("PutParameter", ["Name": "/empty", "Value": "", "Type": "String"])?.type == "ValidationException")
    }

    @Test func allowedPatternIsEnforced() throws {
        let h = try SSMHarness()
        try h.put("/port", "8080", extra: ["AllowedPattern": "^\\d+$"])
        #expect(
            h.error("PutParameter", ["Name": "/port", "Value": "http", "Overwrite": true])?.type
                == "ParameterPatternMismatchException")
        #expect(
            h.error("PutParameter", ["Name": "/bad", "Value": "x", "Type": "String", "AllowedPattern": "("])?.type
                == "InvalidAllowedPatternException")
    }

    @Test func hundredVersionsAreKeptAndALabelledOldestBlocksTheNext() throws {
        let h = try SSMHarness()
        for index in 1...100 { try h.put("/v", "value \(index)", overwrite: index > 1) }
        _ = try h.ok("LabelParameterVersion", ["Name": "/v", "ParameterVersion": 1, "Labels": ["keep"]])
        #expect(
            h.error("PutParameter", ["Name": "/v", "Value": "101", "Overwrite": true])?.type
                == "ParameterMaxVersionLimitExceeded")
        _ = try h.ok("LabelParameterVersion", ["Name": "/v", "ParameterVersion": 2, "Labels": ["keep"]])
        #expect(try h.put("/v", "101", overwrite: true) == 101)
        let history = try h.ok("GetParameterHistory", ["Name": "/v", "MaxResults": 50])
        let first = try #require((history["Parameters"] as? [[String: Any]])?.first)
        #expect(first["Version"] as? Int == 2)
        #expect(first["Labels"] as? [String] == ["keep"])
        #expect(h.error("GetParameter", ["Name": "/v:1"])?.type == "ParameterVersionNotFound")
        // The store dropped version 1 too.
        #expect(try h.store().first { $0.name == "/v" }?.versions.map(\.version) == Array(2...101))
        var collected: [Int] = []
        var token: String? = nil
        repeat {
            var body: [String: Any] = ["Name": "/v", "MaxResults": 30]
            if let token { body["NextToken"] = token }
            let page = try h.ok("GetParameterHistory", body)
            collected += (page["Parameters"] as! [[String: Any]]).map { $0["Version"] as! Int }
            token = page["NextToken"] as? String
        } while token != nil
        #expect(collected == Array(2...101))
    }

    @Test func labelsMoveAndInvalidOnesAreReported() throws {
        let h = try SSMHarness()
        try h.put("/l", "one")
        try h.put("/l", "two", overwrite: true)
        let labelled = try h.ok(
            "LabelParameterVersion",
            ["Name": "/l", "ParameterVersion": 1, "Labels": ["prod", "1st", "awsy", "SSMx", "ok.v-1_"]])
        #expect(labelled["InvalidLabels"] as? [String] == ["1st", "awsy", "SSMx"])
        #expect(try h.value("/l:prod") == "one")
        _ = try h.ok("LabelParameterVersion", ["Name": "/l", "Labels": ["prod"]])
        #expect(try h.value("/l:prod") == "two")
        #expect(try h.value("/l:ok.v-1_") == "one")
        let labels = (1...9).map { "label\($0)" }  // version 1 already carries "ok.v-1_"
        _ = try h.ok("LabelParameterVersion", ["Name": "/l", "ParameterVersion": 1, "Labels": labels])
        #expect(
            h.error("LabelParameterVersion", ["Name": "/l", "ParameterVersion": 1, "Labels": ["eleventh"]])?.type
                == "ParameterVersionLabelLimitExceeded")
        let removed = try h.ok(
            "UnlabelParameterVersion", ["Name": "/l", "ParameterVersion": 2, "Labels": ["prod", "label1"]])
        #expect(removed["RemovedLabels"] as? [String] == ["prod"])
        #expect(removed["InvalidLabels"] as? [String] == ["label1"])
        #expect(h.error("GetParameter", ["Name": "/l:prod"])?.type == "ParameterVersionNotFound")
    }

    @Test func getParametersSortsAndReportsInvalidNames() throws {
        let h = try SSMHarness()
        try h.put("/b", "2")
        try h.put("/a", "1")
        let result = try h.ok("GetParameters", ["Names": ["/b", "/missing", "/a", "/a:9"]])
        #expect((result["Parameters"] as? [[String: Any]])?.map { $0["Name"] as? String } == ["/a", "/b"])
        #expect(result["InvalidParameters"] as? [String] == ["/missing", "/a:9"])
        #expect(h.error("GetParameters", ["Names": (0..<11).map { "/n\($0)" }])?.type == "ValidationException")
    }

    @Test func deleteParameters() throws {
        let h = try SSMHarness()
        try h.put("/d1", "x")
        try h.put("/d2", "y")
        let result = try h.ok("DeleteParameters", ["Names": ["/d1", "/nope", "/d2"]])
        #expect(result["DeletedParameters"] as? [String] == ["/d1", "/d2"])
        #expect(result["InvalidParameters"] as? [String] == ["/nope"])
        #expect(h.error("DeleteParameter", ["Name": "/d1"])?.type == "ParameterNotFound")
        #expect(try h.store().isEmpty)
    }
}

extension SSMHarness {
    func store() throws -> [StoredParameter] { try kmsHarness.store.loadParameters() }
}

@Suite struct SSMQueryTests {
    static func tree() throws -> SSMHarness {
        let h = try SSMHarness()
        for name in ["/app/a", "/app/b", "/app/db/host", "/app/db/port", "/app/db/deep/x", "/other/z", "/apple"] {
            try h.put(name, name)
        }
        return h
    }

    static func names(_ response: [String: Any]) -> [String] {
        (response["Parameters"] as? [[String: Any]] ?? []).compactMap { $0["Name"] as? String }
    }

    @Test func byPathOneLevelAndRecursive() throws {
        let h = try Self.tree()
        #expect(Self.names(try h.ok("GetParametersByPath", ["Path": "/app"])) == ["/app/a", "/app/b"])
        #expect(
            Self.names(try h.ok("GetParametersByPath", ["Path": "/app/", "Recursive": true]))
                == ["/app/a", "/app/b", "/app/db/deep/x", "/app/db/host", "/app/db/port"])
        #expect(Self.names(try h.ok("GetParametersByPath", ["Path": "/app/db"])) == ["/app/db/host", "/app/db/port"])
        #expect(h.error("GetParametersByPath", ["Path": "app"])?.type == "ValidationException")
        #expect(h.error("GetParametersByPath", ["Path": "/app", "MaxResults": 11])?.type == "ValidationException")
        #expect(
            h.error("GetParametersByPath", ["Path": "/app", "ParameterFilters": [["Key": "Name", "Values": ["x"]]]])?
                .type
                == "InvalidFilterKey")
    }

    @Test func byPathPagesEveryParameterOnce() throws {
        let h = try SSMHarness()
        for index in 0..<23 { try h.put("/p/\(index)", "v") }
        var seen: [String] = []
        var token: String? = nil
        repeat {
            var body: [String: Any] = ["Path": "/p", "MaxResults": 10]
            if let token { body["NextToken"] = token }
            let page = try h.ok("GetParametersByPath", body)
            seen += Self.names(page)
            token = page["NextToken"] as? String
        } while token != nil
        #expect(seen.count == 23)
        #expect(Set(seen).count == 23)
        #expect(h.error("GetParametersByPath", ["Path": "/p", "NextToken": "forged"])?.type == "InvalidNextToken")
        #expect(
            h.error("DescribeParameters", ["NextToken": Base64.encode(Array("x".utf8))])?.type == "InvalidNextToken")
    }

    @Test func describeFilters() throws {
        let h = try Self.tree()
        try h.put("/sec/one", "s", type: "SecureString")
        _ = try h.ok(
            "AddTagsToResource",
            ["ResourceType": "Parameter", "ResourceId": "/app/a", "Tags": [["Key": "team", "Value": "red"]]])
        _ = try h.ok("LabelParameterVersion", ["Name": "/app/b", "Labels": ["live"]])
        func describe(_ filters: [[String: Any]]) throws -> [String] {
            Self.names(try h.ok("DescribeParameters", ["ParameterFilters": filters, "MaxResults": 50]))
        }
        #expect(try describe([["Key": "Name", "Values": ["/app/a"]]]) == ["/app/a"])
        #expect(
            try describe([["Key": "Name", "Option": "BeginsWith", "Values": ["/app/d"]]]) == [
                "/app/db/deep/x", "/app/db/host", "/app/db/port",
            ])
        #expect(try describe([["Key": "Name", "Option": "Contains", "Values": ["pl"]]]) == ["/apple"])
        #expect(try describe([["Key": "Type", "Values": ["SecureString"]]]) == ["/sec/one"])
        #expect(try describe([["Key": "KeyId", "Values": ["alias/aws/ssm"]]]) == ["/sec/one"])
        #expect(try describe([["Key": "Path", "Values": ["/app/db"]]]) == ["/app/db/host", "/app/db/port"])
        #expect(
            try describe([["Key": "Path", "Option": "Recursive", "Values": ["/app/db"]]]) == [
                "/app/db/deep/x", "/app/db/host", "/app/db/port",
            ])
        #expect(
            h.error("DescribeParameters", ["ParameterFilters": [["Key": "Label", "Values": ["live"]]]])?.type
                == "InvalidFilterKey")
        #expect(
            try describe([["Key": "Tier", "Values": ["Standard"]], ["Key": "tag:team", "Values": ["red"]]]) == [
                "/app/a"
            ])
        #expect(try describe([["Key": "DataType", "Values": ["text"]]]).count == 8)
        #expect(
            Self.names(try h.ok("DescribeParameters", ["Filters": [["Key": "Name", "Values": ["/app/d"]]]])) == [
                "/app/db/deep/x", "/app/db/host", "/app/db/port",
            ])
        #expect(
            h.error(
                "DescribeParameters",
                ["ParameterFilters": [["Key": "Type", "Option": "Contains", "Values": ["String"]]]])?.type
                == "InvalidFilterOption")
        #expect(
            h.error("DescribeParameters", ["ParameterFilters": [["Key": "Type", "Values": ["Number"]]]])?.type
                == "InvalidFilterValue")
        // A key outside the model's pattern is a ValidationException; a known key not allowed here is InvalidFilterKey.
        #expect(
            h.error("DescribeParameters", ["ParameterFilters": [["Key": "Colour", "Values": ["red"]]]])?.type
                == "ValidationException")
        #expect(
            h.error(
                "GetParametersByPath", ["Path": "/app", "ParameterFilters": [["Key": "tag:team", "Values": ["red"]]]])?
                .type
                == "InvalidFilterKey")
        #expect(try describe([["Key": "Type", "Option": "BeginsWith", "Values": ["Secure"]]]) == ["/sec/one"])
        #expect(h.error("DescribeParameters", ["Filters": [], "ParameterFilters": []])?.type == "ValidationException")
        #expect(h.error("DescribeParameters", ["MaxResults": 51])?.type == "ValidationException")
    }
}

@Suite struct SSMSecureStringTests {
    @Test func secureStringsAreSealedAndOpenWithKMSDecrypt() throws {
        let h = try SSMHarness()
        let canary = "canary-\(KeyID.random())"
        try h.put("/app/secret", canary, type: "SecureString")
        #expect(try h.value("/app/secret") == canary)
        let sealed = try #require(try h.value("/app/secret", decrypt: false))
        #expect(sealed != canary)
        let blob = try Base64.decode(Array(sealed.utf8))
        #expect(blob.first == DataKeyEnvelope.version)
        let arn = "arn:aws:ssm:us-east-1:123456789012:parameter/app/secret"
        let opened = try h.kmsHarness.ok(
            "Decrypt", ["CiphertextBlob": sealed, "EncryptionContext": ["PARAMETER_ARN": arn]])
        #expect(opened["Plaintext"] as? String == Base64.encode(Array(canary.utf8)))
        #expect(h.kmsHarness.error("Decrypt", ["CiphertextBlob": sealed])?.type == "InvalidCiphertextException")
        let aliases = try #require(try h.kmsHarness.ok("ListAliases")["Aliases"] as? [[String: Any]])
        #expect(aliases.map { $0["AliasName"] as? String } == ["alias/aws/ssm"])
        for stored in try h.store() {
            for version in stored.versions { #expect(!String(decoding: version.value, as: UTF8.self).contains(canary)) }
        }
    }

    @Test func keyErrorsAreInvalidKeyId() throws {
        let h = try SSMHarness()
        #expect(
            h.error("PutParameter", ["Name": "/s", "Value": "x", "Type": "SecureString", "KeyId": "alias/none"])?.type
                == "InvalidKeyId")
        let key = try h.kmsHarness.createKey()
        try h.put("/s", "guarded", type: "SecureString", extra: ["KeyId": key])
        _ = try h.kmsHarness.ok("DisableKey", ["KeyId": key])
        #expect(h.error("GetParameter", ["Name": "/s", "WithDecryption": true])?.type == "InvalidKeyId")
        #expect(try h.value("/s", decrypt: false) != nil)
        #expect(h.error("PutParameter", ["Name": "/s", "Value": "y", "Overwrite": true])?.type == "InvalidKeyId")
        #expect(
            h.error("PutParameter", ["Name": "/plain", "Value": "y", "Type": "String", "KeyId": key])?.type
                == "ValidationException")
    }

    /// Reading a SecureString remembers its data key; the key's state still decides every read after.
    @Test func aRememberedDataKeyStillObeysTheKeyState() throws {
        let h = try SSMHarness()
        let key = try h.kmsHarness.createKey()
        try h.put("/cached", "guarded", type: "SecureString", extra: ["KeyId": key])
        #expect(try h.value("/cached") == "guarded")
        _ = try h.kmsHarness.ok("DisableKey", ["KeyId": key])
        #expect(h.error("GetParameter", ["Name": "/cached", "WithDecryption": true])?.type == "InvalidKeyId")
        _ = try h.kmsHarness.ok("EnableKey", ["KeyId": key])
        #expect(try h.value("/cached") == "guarded")
        _ = try h.kmsHarness.ok("ScheduleKeyDeletion", ["KeyId": key, "PendingWindowInDays": 7])
        #expect(h.error("GetParameter", ["Name": "/cached", "WithDecryption": true])?.type == "InvalidKeyId")
    }

    @Test func rotationLeavesEveryVersionReadable() throws {
        let h = try SSMHarness()
        let key = try h.kmsHarness.createKey()
        try h.put("/r", "before", type: "SecureString", extra: ["KeyId": key])
        _ = try h.kmsHarness.ok("RotateKeyOnDemand", ["KeyId": key])
        try h.put("/r", "after", type: "SecureString", overwrite: true)
        #expect(try h.value("/r:1") == "before")
        #expect(try h.value("/r") == "after")
    }

    @Test func escapedValuesRoundTrip() throws {
        let h = try SSMHarness()
        let tricky = "quote\" backslash\\ newline\n tab\t unicode é \u{1}"
        try h.put("/t", tricky, type: "SecureString")
        #expect(try h.value("/t") == tricky)
        try h.put("/u", tricky)
        #expect(try h.value("/u") == tricky)
    }
}

@Suite struct DataKeyEnvelopeTests {
    @Test func rewrapKeepsTheValueAndTamperingFails() throws {
        let kek = SecureBytes.random(count: 32)
        let dataKey = SecureBytes.random(count: 32)
        let context = EncryptionContext(["PARAMETER_ARN": "arn:x"])
        let wrapped = try Envelope.seal(
            dataKey, key: kek, keyID: .random(), keyVersion: 1, context: context, timestamp: 1)
        let token = try DataKeyEnvelope.seal(
            Array("value".utf8), dataKey: dataKey, wrappedKey: wrapped, context: context)
        #expect(try DataKeyEnvelope.wrappedKey(of: token) == wrapped)
        #expect(
            try DataKeyEnvelope.open(token, dataKey: dataKey, context: context).constantTimeEquals(Array("value".utf8)))
        let rewrapped = try DataKeyEnvelope.rewrapped(
            token,
            with: try Envelope.seal(dataKey, key: kek, keyID: .random(), keyVersion: 2, context: context, timestamp: 2))
        #expect(Array(rewrapped.suffix(40)) == Array(token.suffix(40)))
        #expect(try DataKeyEnvelope.open(rewrapped, dataKey: dataKey, context: context).count == 5)
        for index in (3 + wrapped.count)..<token.count {
            var tampered = token
            tampered[index] ^= 0x04
            #expect(throws: CryptoError.self) { try DataKeyEnvelope.open(tampered, dataKey: dataKey, context: context) }
        }
        #expect(throws: CryptoError.self) {
            try DataKeyEnvelope.open(token, dataKey: dataKey, context: EncryptionContext())
        }
        #expect(throws: CryptoError.self) {
            try DataKeyEnvelope.open(token, dataKey: .random(count: 32), context: context)
        }
        #expect(throws: CryptoError.self) { try DataKeyEnvelope.wrappedKey(of: Array(token.prefix(10))) }
    }
}
