/// The answer to `POST /v1/keys/retire`: the key and its new decryption floor.
package struct RetiredVersions: Codable, Sendable, Equatable {
    /// The key's ARN.
    package var keyArn: String
    /// The lowest version that still decrypts.
    package var minDecryptionVersion: Int

    /// - Parameters:
    ///   - keyArn: the key's ARN.
    ///   - minDecryptionVersion: the floor.
    package init(keyArn: String, minDecryptionVersion: Int) {
        self.keyArn = keyArn
        self.minDecryptionVersion = minDecryptionVersion
    }
}
