/// A failure of a shared store that callers act on: an outage (answered 503, nothing written) or a
/// conflict with another daemon's write (caught up and retried). Other store failures are plain errors.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    private enum Kind: Sendable {
        case unavailable(String)
        case conflict
    }

    private let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// The store cannot be reached.
    /// - Parameter reason: what failed, for logs and `/health`; never a credential.
    public static func unavailable(_ reason: String) -> StoreError { StoreError(.unavailable(reason)) }

    /// Another daemon committed a change to something this write changes, after this daemon last
    /// caught up: the write was rolled back.
    public static let conflict = StoreError(.conflict)

    /// Whether this is a conflict rather than an outage.
    public var isConflict: Bool {
        if case .conflict = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .unavailable(let reason): "The store is unavailable: \(reason)"
        case .conflict: "The store changed under this write"
        }
    }
}
