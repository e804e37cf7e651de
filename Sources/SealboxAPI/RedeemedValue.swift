/// The answer to `POST /v1/leases/{id}/redeem`: `{"value": "<plaintext>", "version": n}`.
///
/// Deliberately not `Codable`: `value` is a secret, which readers decode straight from the body into
/// guarded memory rather than through a `String`. This names the members both sides use.
public enum RedeemedValue {
    /// The member holding the plaintext, a JSON string.
    public static let valueMember = "value"
    /// The member holding the parameter version, a JSON integer.
    public static let versionMember = "version"
}
