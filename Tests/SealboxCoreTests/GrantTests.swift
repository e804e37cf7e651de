import SealboxCore
import SealboxCrypto
import Testing

@Suite struct GrantConstraintTests {
    static let finance = ["Department": "Finance", "Classification": "Public"]

    @Test func subsetNeedsEveryPairAndAllowsMore() {
        let constraint = GrantConstraint(.subset, Self.finance)
        #expect(constraint.isSatisfied(by: Self.finance))
        #expect(
            constraint.isSatisfied(by: [
                "Customer": "12345", "Department": "Finance", "Classification": "Public", "Purpose": "Test",
            ]))
        #expect(!constraint.isSatisfied(by: ["Department": "Finance"]))
        #expect(!constraint.isSatisfied(by: ["Classification": "Public", "Customer": "12345"]))
        #expect(!constraint.isSatisfied(by: [:]))
    }

    @Test func equalsNeedsExactlyThePairs() {
        let constraint = GrantConstraint(.equals, ["Department": "IT"])
        #expect(constraint.isSatisfied(by: ["Department": "IT"]))
        #expect(!constraint.isSatisfied(by: ["Department": "IT", "Purpose": "Test"]))
        #expect(!constraint.isSatisfied(by: [:]))
        #expect(GrantConstraint(.equals, [:]).isSatisfied(by: [:]))
    }

    /// The model: "in a grant constraint, the key in each key-value pair is not case sensitive, but
    /// the value is case sensitive".
    @Test func keysCompareWithoutCaseAndValuesWithIt() {
        let subset = GrantConstraint(.subset, ["Department": "Finance"])
        #expect(subset.isSatisfied(by: ["department": "Finance"]))
        #expect(subset.isSatisfied(by: ["DEPARTMENT": "Finance", "x": "y"]))
        #expect(!subset.isSatisfied(by: ["Department": "finance"]))
        let equals = GrantConstraint(.equals, ["Department": "IT"])
        #expect(equals.isSatisfied(by: ["department": "IT"]))
        #expect(!equals.isSatisfied(by: ["department": "it"]))
    }

    @Test func childGrantsMayOnlyBeStricter() {
        let subsetIT = GrantConstraint(.subset, ["Department": "IT"])
        let subsetMore = GrantConstraint(.subset, ["Department": "IT", "Purpose": "Test"])
        let equalsIT = GrantConstraint(.equals, ["Department": "IT"])
        let equalsOther = GrantConstraint(.equals, ["Department": "HR"])
        #expect(GrantConstraint.isAtLeastAsStrict(nil, as: nil))
        #expect(GrantConstraint.isAtLeastAsStrict(subsetIT, as: nil))
        #expect(!GrantConstraint.isAtLeastAsStrict(nil, as: subsetIT))
        #expect(GrantConstraint.isAtLeastAsStrict(subsetMore, as: subsetIT))
        #expect(!GrantConstraint.isAtLeastAsStrict(subsetIT, as: subsetMore))
        #expect(GrantConstraint.isAtLeastAsStrict(equalsIT, as: subsetIT))
        #expect(!GrantConstraint.isAtLeastAsStrict(equalsOther, as: subsetIT))
        #expect(!GrantConstraint.isAtLeastAsStrict(subsetIT, as: equalsIT))
        #expect(GrantConstraint.isAtLeastAsStrict(equalsIT, as: equalsIT))
        #expect(
            !GrantConstraint.isAtLeastAsStrict(GrantConstraint(.equals, ["Department": "IT", "x": "y"]), as: equalsIT))
    }

    @Test func limitsAreAWSs() {
        let nine = Dictionary(uniqueKeysWithValues: (1...9).map { ("k\($0)", "v") })
        #expect(GrantConstraint(.subset, nine).violation != nil)
        #expect(
            GrantConstraint(.subset, Dictionary(uniqueKeysWithValues: nine.dropFirst().map { $0 })).violation == nil)
        #expect(GrantConstraint(.equals, ["k": String(repeating: "v", count: 385)]).violation != nil)
        #expect(GrantConstraint(.equals, ["k": String(repeating: "v", count: 384)]).violation == nil)
    }
}

@Suite struct GrantOperationTests {
    @Test func theEnumIsTheModels() {
        #expect(GrantOperation.allCases.count == 17)
        #expect(GrantOperation(rawValue: "CreateKey") == nil)
    }

    @Test func anActionNamesItsOperation() {
        #expect(GrantOperation(action: Action("kms:Decrypt", audited: true)) == .decrypt)
        #expect(GrantOperation(action: Action("kms:Sign", audited: true)) == .sign)
        #expect(GrantOperation(action: Action("kms:ListGrants", audited: false)) == nil)
        #expect(GrantOperation(action: Action("kms:ReEncrypt", audited: true)) == nil)
        #expect(GrantOperation(action: Action("env:Decrypt", audited: true)) == nil)
        #expect(GrantOperation(action: .unnamed) == nil)
    }

    @Test func operationsSuitTheKeyType() {
        let symmetric = GrantOperation.allCases.filter { $0.isSupported(by: .symmetricDefault, .encryptDecrypt) }
        #expect(
            Set(symmetric) == [
                .decrypt, .encrypt, .generateDataKey, .generateDataKeyWithoutPlaintext, .reEncryptFrom, .reEncryptTo,
                .generateDataKeyPair, .generateDataKeyPairWithoutPlaintext, .describeKey, .createGrant, .retireGrant,
            ])
        let hmac = GrantOperation.allCases.filter { $0.isSupported(by: .hmac256, .generateVerifyMac) }
        #expect(Set(hmac) == [.generateMac, .verifyMac, .describeKey, .createGrant, .retireGrant])
        let rsaSign = GrantOperation.allCases.filter { $0.isSupported(by: .rsa2048, .signVerify) }
        #expect(Set(rsaSign) == [.sign, .verify, .getPublicKey, .describeKey, .createGrant, .retireGrant])
        let rsaEncrypt = GrantOperation.allCases.filter { $0.isSupported(by: .rsa2048, .encryptDecrypt) }
        #expect(
            Set(rsaEncrypt) == [
                .encrypt, .decrypt, .reEncryptFrom, .reEncryptTo, .getPublicKey, .describeKey, .createGrant,
                .retireGrant,
            ])
        let agreement = GrantOperation.allCases.filter { $0.isSupported(by: .eccNistP256, .keyAgreement) }
        #expect(Set(agreement) == [.deriveSharedSecret, .getPublicKey, .describeKey, .createGrant, .retireGrant])
    }
}

@Suite struct GrantTokenTests {
    @Test func aTokenNamesItsGrantAndIsNewEachTime() {
        let id = GrantRecord.newID()
        #expect(GrantRecord.isWellFormedID(id))
        let first = GrantToken.make(grantID: id)
        let second = GrantToken.make(grantID: id)
        #expect(first != second)
        #expect(GrantToken.grantID(of: first) == id)
        #expect(GrantToken.grantID(of: second) == id)
    }

    @Test func aChangedOrMadeUpTokenNamesNothing() {
        let token = GrantToken.make(grantID: GrantRecord.newID())
        var bytes = try! Base64.decode(Array(token.utf8))
        bytes[5] ^= 1
        #expect(GrantToken.grantID(of: Base64.encode(bytes)) == nil)
        #expect(GrantToken.grantID(of: "not-a-token") == nil)
        #expect(GrantToken.grantID(of: "") == nil)
        #expect(GrantToken.grantID(of: String(token.dropLast(4))) == nil)
        #expect(GrantToken.grantID(of: Base64.encode([UInt8](repeating: 1, count: 57))) == nil)
    }

    @Test func grantIdsAre64HexDigits() {
        #expect(GrantRecord.isWellFormedID(String(repeating: "a", count: 64)))
        #expect(GrantRecord.isWellFormedID(String(repeating: "A", count: 64)))
        #expect(!GrantRecord.isWellFormedID(String(repeating: "a", count: 63)))
        #expect(!GrantRecord.isWellFormedID(String(repeating: "g", count: 64)))
    }
}

@Suite struct AWSPrincipalTests {
    @Test(arguments: [
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:user/exampleUser",
        "arn:aws:iam::111122223333:user/division/team/exampleUser",
        "arn:aws:iam::111122223333:role/adminRole",
        "arn:aws:iam::111122223333:role/service-role/app+x=y,z.w@v-u_t",
        "arn:aws:sts::111122223333:assumed-role/adminRole/session-1",
        "arn:aws:sts::111122223333:federated-user/Bob",
        "arn:aws-cn:iam::111122223333:root",
        "arn:aws-us-gov:iam::111122223333:role/app",
        "dynamodb.us-west-2.amazonaws.com",
        "rds.amazonaws.com",
        "s3.cn-north-1.amazonaws.com.cn",
    ])
    func acceptsAWSPrincipals(_ principal: String) {
        #expect(AWSPrincipal.isValid(principal))
    }

    @Test(arguments: [
        "uid:1000", "access-key:handlers", "exampleUser", "111122223333", "*",
        "arn:aws:iam::111122223333:group/admins",
        "arn:aws:iam::11112222333:root",
        "arn:aws:iam::111122223333x:root",
        "arn:aws:iam:us-east-1:111122223333:root",
        "arn:aws:iam::111122223333:user/",
        "arn:aws:iam::111122223333:user//x",
        "arn:aws:iam::111122223333:role/a:b",
        "arn:aws:sts::111122223333:assumed-role/onlyRole",
        "arn:aws:sts::111122223333:assumed-role/a/b/c",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:other:iam::111122223333:root",
        "amazonaws.com", ".amazonaws.com", "Dynamodb.amazonaws.com", "dynamodb.example.com",
    ])
    func refusesAnythingElse(_ principal: String) {
        #expect(!AWSPrincipal.isValid(principal))
    }
}

@Suite struct GrantRecordTests {
    static func grant(_ name: String?, operations: [GrantOperation] = [.decrypt, .encrypt]) -> GrantRecord {
        GrantRecord(
            id: GrantRecord.newID(),
            key: KeyAddress(
                KeyID("1234abcd-12ab-34cd-56ef-1234567890ab")!, in: Scope(account: "111122223333", region: "us-east-1")),
            name: name, created: 1,
            grantee: "arn:aws:iam::111122223333:role/app", retiring: nil, operations: operations,
            constraint: GrantConstraint(.subset, ["a": "b"]))
    }

    /// AWS's idempotence: the same name and parameters make a retry; the order of operations does not count.
    @Test func aRetryHasTheSameNameAndParameters() {
        let first = Self.grant("deploy")
        #expect(first.isRetry(of: Self.grant("deploy", operations: [.encrypt, .decrypt])))
        #expect(!first.isRetry(of: Self.grant("other")))
        #expect(!first.isRetry(of: Self.grant("deploy", operations: [.decrypt])))
        var otherGrantee = Self.grant("deploy")
        otherGrantee.grantee = "arn:aws:iam::111122223333:role/other"
        #expect(!first.isRetry(of: otherGrantee))
        #expect(!Self.grant(nil).isRetry(of: Self.grant(nil)))
        #expect(first.issuingAccount == "arn:aws:iam::111122223333:root")
    }
}
