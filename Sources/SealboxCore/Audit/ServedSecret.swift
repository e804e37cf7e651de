/// A secret a request handed out in plaintext, named so that it can be decrypted again later (for
/// `sealbox inspect`), never holding the plaintext itself.
public enum ServedSecret: Sendable, Hashable {
    /// A SecureString version.
    case parameter(name: String, version: Int)
    /// A KMS ciphertext whose plaintext was returned (Decrypt, GenerateDataKey), with the scope of its key.
    case ciphertext(blob: [UInt8], context: [String: String], scope: Scope)
    /// An env token, decrypted as the variable `name`.
    case environment(name: String, token: String)
}
