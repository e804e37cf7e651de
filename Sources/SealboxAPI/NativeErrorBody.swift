/// The body of every native 4xx/5xx answer: `{"error": code, "message": text}`.
public struct NativeErrorBody: Codable, Sendable, Equatable {
    /// A short machine-readable code, such as `LeaseNotFound`, `AccessDenied` or `NotFound`.
    public var error: String
    /// A human-readable reason; never a secret.
    public var message: String

    /// The members on the wire, for readers that scan the body without a `JSONDecoder`.
    public enum CodingKeys: String, CodingKey {
        case error, message
    }

    /// - Parameters:
    ///   - error: the code.
    ///   - message: the reason.
    public init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}
