/// A secret a request handed out in plaintext, named so that it can be decrypted again later (for
/// `sealbox inspect`), never holding the plaintext itself.
public enum ServedSecret: Sendable, Hashable {
    /// A SecureString version of the parameter `name` in `scope`.
    case parameter(name: String, scope: Scope, version: Int)
    /// A KMS ciphertext whose plaintext was returned (Decrypt, GenerateDataKey), with the scope of its key.
    case ciphertext(blob: [UInt8], context: [String: String], scope: Scope)
    /// A version of the Secrets Manager secret `name` in `scope`.
    case secret(name: String, scope: Scope, versionID: String)
    /// An env token, decrypted as the variable `name`.
    case environment(name: String, token: String)
}
