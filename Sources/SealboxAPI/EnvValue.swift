/// The answer to `POST /v1/env/decrypt`: `{"name", "value"}`. The value is a secret in a `String`,
/// for the CLI, which prints it; handlers read it with SealboxClient, which decodes the
/// ``valueMember`` straight into guarded memory.
package struct EnvValue: Codable, Sendable, Equatable {
    /// The member holding the plaintext, a JSON string.
    package static let valueMember = "value"

    /// The variable's name.
    package var name: String
    /// The plaintext.
    package var value: String

    /// - Parameters:
    ///   - name: the variable's name.
    ///   - value: the plaintext.
    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
