/// The answer to `POST /v1/root/rotate`: how many key versions were re-wrapped, and where the new
/// root key lives (`memory` for an ephemeral daemon).
package struct RootRotation: Codable, Sendable, Equatable {
    /// Key versions re-wrapped under the new root key.
    package var versions: Int
    /// The new root key's file, or `memory`.
    package var rootKey: String

    /// - Parameters:
    ///   - versions: the re-wrapped version count.
    ///   - rootKey: the new key's file, or `memory`.
    package init(versions: Int, rootKey: String) {
        self.versions = versions
        self.rootKey = rootKey
    }
}
