/// `POST /v1/keys/rewrap` (`admin:RewrapKeys`): one batch of stored data keys re-wrapped under their
/// key's newest version; answered with ``RewrapBatch``.
package struct RewrapRequest: Codable, Sendable, Equatable {
    /// Only data keys of this key (id, ARN or alias); every key when absent.
    package var keyId: String?
    /// The batch size; 500 when absent, clamped to 1...10,000.
    package var limit: Int?

    /// - Parameters:
    ///   - keyId: the key, or nil for every key.
    ///   - limit: the batch size, or nil for the daemon's default.
    package init(keyId: String? = nil, limit: Int? = nil) {
        self.keyId = keyId
        self.limit = limit
    }
}
