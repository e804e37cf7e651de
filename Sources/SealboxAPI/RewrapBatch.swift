/// The answer to `POST /v1/keys/rewrap`: how far this batch got. Call again while `remaining` > 0.
package struct RewrapBatch: Codable, Sendable, Equatable {
    /// Data keys re-wrapped by this call.
    package var rewrapped: Int
    /// Data keys still under an older version.
    package var remaining: Int
    /// Parameters whose SecureString did not open and was left as it was (names only).
    package var failed: [String]

    /// - Parameters:
    ///   - rewrapped: data keys re-wrapped.
    ///   - remaining: data keys left.
    ///   - failed: names that did not open.
    package init(rewrapped: Int, remaining: Int, failed: [String]) {
        self.rewrapped = rewrapped
        self.remaining = remaining
        self.failed = failed
    }
}
