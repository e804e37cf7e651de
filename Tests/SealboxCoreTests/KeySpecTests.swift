import SealboxCore
import Testing

@Suite struct KeySpecTests {
    @Test func everySpecAndUsageIsAWSs() {
        #expect(KeySpec.allCases.count == 17)
        #expect(
            KeyUsage.allCases.map(\.rawValue).sorted() == [
                "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "SIGN_VERIFY",
            ])
        #expect(KeySpec.allCases.filter(\.isSupported) == [.symmetricDefault, .hmac224, .hmac256, .hmac384, .hmac512])
    }

    @Test func materialIsAsLongAsAWSMakesIt() {
        #expect(KeySpec.symmetricDefault.materialLength == 32)
        #expect(KeySpec.hmac224.materialLength == 28)
        #expect(KeySpec.hmac256.materialLength == 32)
        #expect(KeySpec.hmac384.materialLength == 48)
        #expect(KeySpec.hmac512.materialLength == 64)
        #expect(KeySpec.rsa2048.materialLength == nil)
    }

    @Test func pairsAreCheckedBeforeSupport() {
        #expect(throws: Never.self) { try KeySpec.hmac256.check(.generateVerifyMac) }
        #expect(throws: Never.self) { try KeySpec.symmetricDefault.check(.encryptDecrypt) }
        let invalid = #expect(throws: SealboxError.self) { try KeySpec.hmac256.check(.encryptDecrypt) }
        #expect(invalid?.code == .validation)
        let secg = #expect(throws: SealboxError.self) { try KeySpec.eccSecgP256K1.check(.keyAgreement) }
        #expect(secg?.code == .validation)
        let rsa = #expect(throws: SealboxError.self) { try KeySpec.rsa2048.check(.signVerify) }
        #expect(rsa?.code == .unsupportedOperation)
    }

    @Test func anHMACSpecHasOneMacAlgorithmAndNoEncryption() {
        #expect(KeySpec.hmac512.macAlgorithm == .hmacSHA512)
        #expect(KeySpec.hmac512.encryptionAlgorithms(.generateVerifyMac).isEmpty)
        #expect(KeySpec.symmetricDefault.macAlgorithm == nil)
        #expect(KeySpec.symmetricDefault.encryptionAlgorithms(.encryptDecrypt) == ["SYMMETRIC_DEFAULT"])
    }
}
