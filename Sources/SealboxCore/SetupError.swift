/// A problem with the configuration or the environment that stops the daemon from starting (or a
/// command from running), worded for the operator; it never contains a secret.
public struct SetupError: Error, CustomStringConvertible {
    public let description: String

    /// - Parameter description: what is wrong and, where possible, the fix.
    public init(description: String) {
        self.description = description
    }
}
