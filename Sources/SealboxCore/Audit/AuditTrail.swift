/// What one audited request touched, filled in by ``RequestContext/authorize(_:)`` as the
/// operation checks its resources, and which secrets it served.
///
/// A trail belongs to one request, which runs on one thread at a time: it may move from its event
/// loop to the thread pool and back, and those hand-offs order its accesses. So it takes no lock,
/// which on every request was two allocations and a lock round trip per access.
public final class AuditTrail: @unchecked Sendable {
    private var touched = InlineFirstList<String>()
    /// A slice of the request's path, not a copy of it.
    private var lease: Substring? = nil
    private var secrets = InlineFirstList<ServedSecret>()
    private var references = InlineFirstList<String>()
    /// The id a write's intent record and its outcome record share: set for writes only (reads'
    /// records stay as small as they were), and cleared when the intent could not be written.
    public var requestID: String?

    public init() {}

    /// Records a secret the request returns in plaintext.
    /// - Parameter secret: how to find it again.
    public func served(_ secret: ServedSecret) { secrets.append(secret) }

    /// The secrets the request returned in plaintext.
    public var servedSecrets: [ServedSecret] { Array(secrets) }

    /// Whether the request returned no secret outside `known`; allocates nothing.
    /// - Parameter known: secrets already accounted for.
    public func servedOnly(_ known: Set<ServedSecret>) -> Bool {
        secrets.allSatisfy { known.contains($0) }
    }

    /// The resources the request touched.
    public var touchedResources: [String] { Array(touched) }

    /// Records a key reference as the caller wrote it (`alias/app`, a key id, an ARN), before it is
    /// resolved: the call record shows it beside the key's ARN, and a call that fails to resolve it.
    /// - Parameter reference: the reference.
    public func named(_ reference: String) {
        let reference =
            reference.utf8.count > Self.maxResourceBytes
            ? Self.truncated(reference, to: Self.maxResourceBytes) : reference
        // An operation that looks a key up again by the id it resolved to is not the caller naming it.
        guard !references.contains(reference), !touched.contains(where: { $0.hasSuffix("/" + reference) }) else {
            return
        }
        references.append(reference)
    }

    /// The key references the request named, as written.
    public var namedReferences: [String] { Array(references) }

    /// The longest resource recorded whole: longer than any valid name or ARN (a parameter ARN is at
    /// most 1,011 characters, a key or alias far less), so only a request for a resource that cannot
    /// exist is cut, and a denied caller cannot fill the log with long names.
    public static let maxResourceBytes = 1024

    /// Records a resource the request touched; one checked twice is recorded once.
    func add(_ resource: String) {
        let resource =
            resource.utf8.count > Self.maxResourceBytes ? Self.truncated(resource, to: Self.maxResourceBytes) : resource
        if !touched.contains(resource) { touched.append(resource) }
    }

    /// The first `limit` bytes (whole characters) and the full length.
    static func truncated(_ resource: String, to limit: Int) -> String {
        var prefix = String(decoding: resource.utf8.prefix(limit), as: UTF8.self)
        // A character cut in two decodes as U+FFFD: drop it.
        if prefix.unicodeScalars.last == "\u{FFFD}" { prefix.unicodeScalars.removeLast() }
        return "\(prefix)...[truncated, \(resource.utf8.count) bytes]"
    }

    /// The longest lease id recorded whole; lease ids are far shorter, so only a forged one is cut.
    static let maxLeaseBytes = 128

    /// Records the lease a native request used.
    /// - Parameter id: the lease id.
    public func setLease(_ id: String) { setLease(id[...]) }

    /// Records the lease a native request named in its path.
    /// - Parameter id: the lease id.
    public func setLease(_ id: Substring) {
        lease = id.utf8.count <= Self.maxLeaseBytes ? id : Substring(Self.truncated(String(id), to: Self.maxLeaseBytes))
    }

    var resources: InlineFirstList<String> { touched }
    var leaseID: Substring? { lease }
}
