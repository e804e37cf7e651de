/// `POST /v1/keys/retire` (`admin:RetireKeyVersions`): versions below `belowVersion` stop decrypting.
/// Both members are required by the daemon (400 otherwise), `belowVersion` at least 1.
package struct RetireRequest: Codable, Sendable, Equatable {
    /// The key: id, ARN or alias.
    package var keyId: String?
    /// The lowest version that still decrypts.
    package var belowVersion: Int?

    /// - Parameters:
    ///   - keyId: the key.
    ///   - belowVersion: the new decryption floor.
    package init(keyId: String, belowVersion: Int) {
        self.keyId = keyId
        self.belowVersion = belowVersion
    }
}
