import NIOCore
import NIOHTTP1
import SealboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// One path and method the daemon answers, and how: the action it performs, where its work runs and
/// how its failures look. A route is only its action; the ``RouteStages`` do the rest.
struct Route: Sendable {
    /// Where a route's work runs.
    enum Placement: Sendable {
        /// Inline on the connection's event loop: work that touches no disk and takes no global lock.
        case eventLoop
        /// On the thread pool: scans and file reads.
        case threadPool
        /// On the thread pool, once the audit log holds the write's intent: a write whose record
        /// cannot be written never takes effect.
        case write
    }

    /// Where the policy is checked.
    enum Policy: Sendable {
        /// By the stages, before the work: the action on no particular resource (admin endpoints).
        case action
        /// By the domain, on the resources the work touches (leases, parameters, keys).
        case resources
    }

    /// How a route's failures are answered.
    enum ErrorStyle: Sendable {
        /// The native API: `{"error": code, "message": text}` with the native codes.
        case native
        /// The admin API: native bodies named with the AWS error names its callers know.
        case admin
        /// AWS JSON: `{"__type": code, "message": text}` (the extension API answers like GetParameter).
        case aws
        /// The Secrets Manager Agent's: its own refusals in plain text, Secrets Manager's errors as
        /// AWS JSON.
        case agent
    }

    /// What serves the route.
    enum Handler: Sendable {
        /// Answered without authentication: health, and an ephemeral daemon's reset.
        case open(@Sendable (HTTPRequest, any EventLoop) -> RouteResult)
        /// A native call: authenticated, its action named and audited by the stages. The work throws
        /// ``SealboxError`` (mapped by the route's error style) or ``NativeError`` (sent as it is).
        case native(Action, Policy, Placement, @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse)
        /// The AWS JSON 1.1 services: `X-Amz-Target` names the operation, and so the action.
        case aws(@Sendable (HTTPRequest, any EventLoop) -> RouteResult)
    }

    let method: HTTPMethod?
    let path: RoutePath
    let style: ErrorStyle
    let family: ServerMetrics.Family
    let handler: Handler

    /// - Parameters:
    ///   - method: the method it answers; nil for any (the handler checks).
    ///   - path: the path it answers.
    ///   - style: how its failures are answered.
    ///   - family: the metrics family it counts under.
    ///   - handler: what serves it.
    init(
        _ method: HTTPMethod?,
        _ path: RoutePath,
        style: ErrorStyle,
        family: ServerMetrics.Family,
        _ handler: Handler
    ) {
        self.method = method
        self.path = path
        self.style = style
        self.family = family
        self.handler = handler
    }
}

/// Routes that answer alike: one error style, one metrics family, and by default one place where
/// their policy is checked. Each route of the group is then only its method, path, action and work.
struct RouteGroup {
    let style: Route.ErrorStyle
    let family: ServerMetrics.Family
    let policy: Route.Policy

    /// A native route of the group.
    /// - Parameters:
    ///   - method: the method it answers.
    ///   - path: the path it answers.
    ///   - action: what it does.
    ///   - policy: where its policy is checked, when not where the group's is.
    ///   - placement: where its work runs.
    ///   - work: the work.
    func route(
        _ method: HTTPMethod,
        _ path: RoutePath,
        _ action: Action,
        policy: Route.Policy? = nil,
        _ placement: Route.Placement,
        _ work: @escaping @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse
    ) -> Route {
        Route(method, path, style: style, family: family, .native(action, policy ?? self.policy, placement, work))
    }
}

/// A route's path: literal segments, and `{id}` parameters the handler reads from the request; a
/// last `{name+}` takes the rest of the path, slashes and all, and may be empty.
struct RoutePath: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The template, such as `/v1/leases/{id}/redeem`.
    let template: String
    /// Each segment's bytes, or nil for a parameter; without the rest parameter.
    private let segments: [[UInt8]?]
    /// The template ends in `{name+}`.
    let takesRest: Bool

    /// - Parameter template: `/`-separated segments; `{name}` is a parameter, a last `{name+}` the rest.
    init(_ template: String) {
        self.template = template
        var parts = template.split(separator: "/")
        takesRest = parts.last.map { $0.hasPrefix("{") && $0.hasSuffix("+}") } ?? false
        if takesRest { parts.removeLast() }
        segments = parts.map { $0.hasPrefix("{") ? nil : Array($0.utf8) }
    }

    init(stringLiteral template: String) { self.init(template) }

    var description: String { template }

    /// Whether the template has parameters, so that it is matched segment by segment.
    var isParameterized: Bool { takesRest || segments.contains(nil) }

    /// The length of the path before the rest parameter, for a template whose other segments are
    /// literal: 4 (`/v1/`) for `/v1/{id+}`.
    var restOffset: Int { segments.reduce(0) { $0 + ($1?.count ?? 0) + 1 } + 1 }

    /// Whether `path` fits the template: the same number of segments, each literal equal, and no
    /// empty segment (`/a//b`, `/a/b/`), so that a parameter never matches nothing; with a rest
    /// parameter, the segments before it and then a `/` and anything. One pass over the bytes: this
    /// runs on every lease request.
    /// - Parameter path: the request path's bytes.
    func matches(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = path.baseAddress else { return false }
        var index = 0
        for segment in segments {
            guard index < path.count, path[index] == UInt8(ascii: "/") else { return false }
            index += 1
            let start = index
            while index < path.count, path[index] != UInt8(ascii: "/") { index += 1 }
            let length = index - start
            guard length > 0 else { return false }
            if let segment {
                guard length == segment.count,
                    segment.withUnsafeBufferPointer({ memcmp(base + start, $0.baseAddress!, length) }) == 0
                else { return false }
            }
        }
        if takesRest { return index < path.count && path[index] == UInt8(ascii: "/") }
        return index == path.count
    }
}
