/// A record could not be written whole to a running audit log; the request it records must fail.
public struct AuditWriteError: Error, CustomStringConvertible {
    /// The system's reason, such as `No space left on device`.
    public let reason: String

    /// - Parameter reason: the system's reason for the failed write.
    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { "the audit log could not be written: \(reason)" }
}
