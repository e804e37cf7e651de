import NIOHTTP1

/// Every route the daemon serves, found by path: exact paths by hash, paths with parameters by
/// their segments. It is the one list of what the daemon answers; the metrics family of a request
/// and the error style of a refusal made before routing come from it too.
struct RouteTable: Sendable {
    /// The routes of one path.
    struct Entry: Sendable {
        let path: RoutePath
        let style: Route.ErrorStyle
        let family: ServerMetrics.Family
        fileprivate(set) var routes: [Route]

        /// The route that answers `method` here; nil when none does.
        /// - Parameter method: the request's method.
        func route(for method: HTTPMethod) -> Route? {
            for route in routes where route.method == nil || route.method == method { return route }
            return nil
        }

        /// The methods the path answers, for a 405: `GET, HEAD`.
        var allowedMethods: String {
            routes.compactMap { $0.method?.rawValue }.joined(separator: ", ")
        }
    }

    private var exact: [Substring: Entry] = [:]
    /// Bit n is set when an exact path is n bytes long: most paths with parameters (a lease's, with
    /// its 32-character id) are longer than any exact one, and skip hashing.
    private var exactLengths: UInt64 = 0
    private var parameterized: [Entry] = []

    /// - Parameter routes: every route; a path's routes must agree on its error style and family,
    ///   and no two may answer the same method on the same path. A path that takes the rest of the
    ///   request path is tried after every other, so that literal paths under it keep winning.
    init(_ routes: [Route]) {
        for route in routes {
            if route.path.isParameterized {
                if !parameterized.contains(where: { $0.path == route.path }) {
                    parameterized.append(Entry(path: route.path, style: route.style, family: route.family, routes: []))
                }
                Self.add(route, to: &parameterized[parameterized.firstIndex { $0.path == route.path }!])
            } else {
                let key = route.path.template[...]
                precondition(key.utf8.count < 64, "an exact path of 64 bytes or more: \(route.path)")
                exactLengths |= 1 << UInt64(key.utf8.count)
                if exact[key] == nil {
                    exact[key] = Entry(path: route.path, style: route.style, family: route.family, routes: [])
                }
                Self.add(route, to: &exact[key]!)
            }
        }
        parameterized = parameterized.filter { !$0.path.takesRest } + parameterized.filter(\.path.takesRest)
    }

    private static func add(_ route: Route, to entry: inout Entry) {
        precondition(
            entry.style == route.style && entry.family == route.family,
            "the routes of \(route.path) disagree on their error style or family")
        precondition(
            !entry.routes.contains { $0.method == route.method },
            "two routes answer \(route.method?.rawValue ?? "any method") \(route.path)")
        entry.routes.append(route)
    }

    /// The routes of `path`; nil when the daemon serves nothing there.
    /// - Parameter path: the request path, without its query.
    func entry(for path: Substring) -> Entry? {
        let length = path.utf8.count
        if length < 64, exactLengths & (1 << UInt64(length)) != 0, let entry = exact[path] { return entry }
        guard !parameterized.isEmpty else { return nil }
        var path = path
        return path.withUTF8 { bytes in
            for entry in parameterized where entry.path.matches(bytes) { return entry }
            return nil
        }
    }

    /// How an answer made before routing (413, 408, 429) for `path` looks, and the family it
    /// counts under: a path the daemon does not serve answers natively and counts as other.
    /// - Parameter path: the request path, without its query.
    func refusalTraits(of path: Substring) -> (style: Route.ErrorStyle, family: ServerMetrics.Family) {
        guard let entry = entry(for: path) else { return (.native, .other) }
        return (entry.style, entry.family)
    }
}
