/// The answer to `POST /moto-api/reset`: `{"status": "ok"}`.
public struct ResetResult: Codable, Sendable, Equatable {
    /// Always `ok`.
    public var status: String

    /// - Parameter status: `ok`.
    public init(status: String) {
        self.status = status
    }
}
