/// The answer to `GET /v1/test/calls`: every call since the last reset or clear, oldest first.
public struct RecordedCallList: Codable, Sendable, Equatable {
    /// The calls.
    public var calls: [RecordedCall]

    /// - Parameter calls: the calls, oldest first.
    public init(calls: [RecordedCall]) {
        self.calls = calls
    }
}
