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
    /// The id a write's intent record and its outcome record share: set for writes only (reads'
    /// records stay as small as they were), and cleared when the intent could not be written.
    public var requestID: String?

    public init() {}

    /// Records a secret the request returns in plaintext.
    /// - Parameter secret: how to find it again.
    public func served(_ secret: ServedSecret) { secrets.append(secret) }

    /// The secrets the request returned in plaintext.
    public var servedSecrets: [ServedSecret] { Array(secrets) }

    /// The resources the request touched.
    public var touchedResources: [String] { Array(touched) }

    /// Records a resource the request touched; one checked twice is recorded once.
    func add(_ resource: String) {
        if !touched.contains(resource) { touched.append(resource) }
    }

    /// Records the lease a native request used.
    /// - Parameter id: the lease id.
    public func setLease(_ id: String) { lease = id[...] }

    /// Records the lease a native request named in its path.
    /// - Parameter id: the lease id.
    public func setLease(_ id: Substring) { lease = id }

    var resources: InlineFirstList<String> { touched }
    var leaseID: Substring? { lease }
}
