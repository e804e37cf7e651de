import SealboxCore
import Testing

@Suite struct KeySpecTests {
    @Test func everySpecAndUsageIsAWSs() {
        #expect(KeySpec.allCases.count == 17)
        #expect(
            KeyUsage.allCases.map(\.rawValue).sorted() == [
                "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "SIGN_VERIFY",
            ])
        #expect(
            KeySpec.allCases.filter(\.isSupported) == [
                .symmetricDefault, .rsa2048, .rsa3072, .rsa4096, .eccNistP256, .eccNistP384, .eccNistP521,
                .eccSecgP256K1, .hmac224, .hmac256, .hmac384, .hmac512,
            ])
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
        #expect(throws: Never.self) { try KeySpec.rsa2048.check(.signVerify) }
        let mlDSA = #expect(throws: SealboxError.self) { try KeySpec.mlDsa44.check(.signVerify) }
        #expect(mlDSA?.code == .unsupportedOperation)
    }

    @Test func anHMACSpecHasOneMacAlgorithmAndNoEncryption() {
        #expect(KeySpec.hmac512.macAlgorithm == .hmacSHA512)
        #expect(KeySpec.hmac512.encryptionAlgorithms(.generateVerifyMac).isEmpty)
        #expect(KeySpec.symmetricDefault.macAlgorithm == nil)
        #expect(KeySpec.symmetricDefault.encryptionAlgorithms(.encryptDecrypt) == ["SYMMETRIC_DEFAULT"])
    }

    @Test func asymmetricSpecsListAWSsAlgorithmsForTheirUsage() {
        #expect(KeySpec.rsa2048.signingAlgorithms(.signVerify).count == 6)
        #expect(KeySpec.rsa2048.signingAlgorithms(.encryptDecrypt).isEmpty)
        #expect(KeySpec.rsa4096.encryptionAlgorithms(.encryptDecrypt) == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
        #expect(KeySpec.eccNistP256.signingAlgorithms(.signVerify) == [.ecdsaSHA256])
        #expect(KeySpec.eccNistP384.signingAlgorithms(.signVerify) == [.ecdsaSHA384])
        #expect(KeySpec.eccNistP521.signingAlgorithms(.signVerify) == [.ecdsaSHA512])
        #expect(KeySpec.eccSecgP256K1.signingAlgorithms(.signVerify) == [.ecdsaSHA256])
        #expect(KeySpec.eccNistP521.keyAgreementAlgorithms(.keyAgreement) == ["ECDH"])
        #expect(KeySpec.eccNistP521.keyAgreementAlgorithms(.signVerify).isEmpty)
    }

    @Test func oaepLimitsAreAWSs() {
        #expect(KeySpec.rsa2048.oaepPlaintextLimit(.sha1) == 214)
        #expect(KeySpec.rsa2048.oaepPlaintextLimit(.sha256) == 190)
        #expect(KeySpec.rsa3072.oaepPlaintextLimit(.sha1) == 342)
        #expect(KeySpec.rsa3072.oaepPlaintextLimit(.sha256) == 318)
        #expect(KeySpec.rsa4096.oaepPlaintextLimit(.sha1) == 470)
        #expect(KeySpec.rsa4096.oaepPlaintextLimit(.sha256) == 446)
        #expect(KeySpec.eccNistP256.oaepPlaintextLimit(.sha1) == nil)
    }
}
