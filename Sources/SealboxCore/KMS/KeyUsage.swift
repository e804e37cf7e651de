/// What a KMS key may be used for, as AWS names it (`KeyUsage`). It is fixed when the key is made.
public enum KeyUsage: String, Codable, Sendable, CaseIterable {
    case encryptDecrypt = "ENCRYPT_DECRYPT"
    case signVerify = "SIGN_VERIFY"
    case generateVerifyMac = "GENERATE_VERIFY_MAC"
    case keyAgreement = "KEY_AGREEMENT"
}
