/// The answer to `POST /v1/fixtures`: what applying the fixtures changed; all zero when the
/// daemon's state already matched.
package struct FixturesApplied: Codable, Sendable, Equatable {
    /// Keys created.
    package var keysCreated: Int
    /// Existing keys changed (description, state, aliases, rotation).
    package var keysChanged: Int
    /// Parameter versions written.
    package var parametersWritten: Int
    /// Labels moved onto another version.
    package var labelsMoved: Int
    /// Secrets created or brought in line with the file; absent from older daemons.
    package var secretsWritten: Int?

    /// - Parameters:
    ///   - keysCreated: keys created.
    ///   - keysChanged: keys changed.
    ///   - parametersWritten: parameter versions written.
    ///   - labelsMoved: labels moved.
    ///   - secretsWritten: secrets created or changed.
    package init(
        keysCreated: Int, keysChanged: Int, parametersWritten: Int, labelsMoved: Int, secretsWritten: Int? = nil
    ) {
        self.keysCreated = keysCreated
        self.keysChanged = keysChanged
        self.parametersWritten = parametersWritten
        self.labelsMoved = labelsMoved
        self.secretsWritten = secretsWritten
    }
}
