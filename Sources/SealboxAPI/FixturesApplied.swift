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

    /// - Parameters:
    ///   - keysCreated: keys created.
    ///   - keysChanged: keys changed.
    ///   - parametersWritten: parameter versions written.
    ///   - labelsMoved: labels moved.
    package init(keysCreated: Int, keysChanged: Int, parametersWritten: Int, labelsMoved: Int) {
        self.keysCreated = keysCreated
        self.keysChanged = keysChanged
        self.parametersWritten = parametersWritten
        self.labelsMoved = labelsMoved
    }
}
