/// The answer to `POST /v1/leases/{id}/redeem`: `{"value": "<plaintext>", "version": n}` for a
/// parameter; `{"value": "<SecretString>", "versionId": "<id>"}` or `{"binary": "<base64 of the
/// SecretBinary>", "versionId": "<id>"}` for a secret.
///
/// Deliberately not `Codable`: `value` is a secret, which readers decode straight from the body into
/// guarded memory rather than through a `String`. This names the members both sides use.
public enum RedeemedValue {
    /// The member holding the plaintext, a JSON string.
    public static let valueMember = "value"
    /// The member holding a binary secret's value, in base64.
    public static let binaryMember = "binary"
    /// The member holding the parameter version, a JSON integer.
    public static let versionMember = "version"
    /// The member holding the secret's version id, a JSON string.
    public static let versionIdMember = "versionId"
}
