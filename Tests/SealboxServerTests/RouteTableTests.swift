import NIOCore
import NIOHTTP1
import SealboxCore
import Testing

@testable import SealboxServer

/// The route table finds a request's route by path and method, and names the family and error
/// style of paths it serves.
@Suite struct RouteTableTests {
    private static func route(
        _ method: HTTPMethod?,
        _ path: RoutePath,
        style: Route.ErrorStyle = .native,
        family: ServerMetrics.Family
    ) -> Route {
        Route(method, path, style: style, family: family, .open { _, _ in .now(.error(.ok, code: "", message: "")) })
    }

    private let table = RouteTable([
        route(nil, "/", style: .aws, family: .aws),
        route(.GET, "/v1/leases", family: .leases),
        route(.POST, "/v1/leases", family: .leases),
        route(.POST, "/v1/leases/revoke", family: .leases),
        route(.DELETE, "/v1/leases/{id}", family: .leases),
        route(.POST, "/v1/leases/{id}/redeem", family: .leases),
        route(.GET, "/systemsmanager/parameters/get", style: .aws, family: .extension),
        route(.GET, "/v1/status", style: .admin, family: .admin),
        route(.GET, "/metrics", family: .admin),
        route(.GET, "/health", family: .other),
        route(.HEAD, "/health", family: .other),
    ])

    @Test(arguments: [
        ("/", "aws"), ("/v1/leases", "leases"), ("/v1/leases/abc/redeem", "leases"), ("/v1/leases/abc", "leases"),
        ("/v1/leases/revoke", "leases"), ("/systemsmanager/parameters/get", "extension"), ("/v1/status", "admin"),
        ("/metrics", "admin"), ("/metricsx", "other"), ("", "other"), ("/v1", "other"), ("/systemsmanager", "other"),
        ("/é", "other"), ("/v1/leases/abc/renew", "other"), ("/v1/leases/a/b/redeem", "other"),
    ])
    func familyOfPath(path: String, family: String) {
        #expect(table.refusalTraits(of: path[...]).family.label == family)
        // A path that is a slice of a longer target reads only its own bytes.
        #expect(table.refusalTraits(of: HTTPRequest.split(path + "?x=/v1/leases").path).family.label == family)
    }

    @Test func aPathAnswersOnlyItsMethods() throws {
        let leases = try #require(table.entry(for: "/v1/leases"))
        #expect(leases.route(for: .GET)?.method == .GET)
        #expect(leases.route(for: .POST)?.method == .POST)
        #expect(leases.route(for: .DELETE) == nil)
        #expect(leases.allowedMethods == "GET, POST")
        let health = try #require(table.entry(for: "/health"))
        #expect(health.route(for: .HEAD)?.method == .HEAD)
        #expect(health.route(for: .POST) == nil)
    }

    @Test func aRouteForAnyMethodAnswersEvery() throws {
        let aws = try #require(table.entry(for: "/"))
        for method in [HTTPMethod.GET, .POST, .DELETE, .PUT] {
            #expect(aws.route(for: method) != nil)
        }
    }

    @Test func parametersMatchOneSegmentEach() throws {
        #expect(table.entry(for: "/v1/leases/0123abcd/redeem")?.path.template == "/v1/leases/{id}/redeem")
        #expect(table.entry(for: "/v1/leases/0123abcd")?.path.template == "/v1/leases/{id}")
        // The literal route wins over the parameter.
        #expect(table.entry(for: "/v1/leases/revoke")?.path.template == "/v1/leases/revoke")
        // A parameter never matches an empty segment.
        #expect(table.entry(for: "/v1/leases//redeem") == nil)
        #expect(table.entry(for: "/v1/leases/abc/") == nil)
        #expect(table.entry(for: "/v1/other/abc/redeem") == nil)
    }

    @Test func aRestParameterComesAfterEveryOtherPath() throws {
        // Listed first, tried last: the literal and one-segment paths under /v1/ keep winning.
        let table = RouteTable([
            Self.route(.GET, "/v1/{secretId+}", style: .agent, family: .extension),
            Self.route(.GET, "/v1/status", style: .admin, family: .admin),
            Self.route(.DELETE, "/v1/leases/{id}", family: .leases),
            Self.route(.POST, "/v1/leases/{id}/redeem", family: .leases),
        ])
        #expect(table.entry(for: "/v1/status")?.path.template == "/v1/status")
        #expect(table.entry(for: "/v1/leases/abc")?.path.template == "/v1/leases/{id}")
        #expect(table.entry(for: "/v1/leases/abc/redeem")?.path.template == "/v1/leases/{id}/redeem")
        for path in ["/v1/db", "/v1/prod/db", "/v1/%73tatus", "/v1/a//b/", "/v1/leases/a/b/c", "/v1/"] {
            #expect(table.entry(for: path[...])?.path.template == "/v1/{secretId+}", "\(path)")
        }
        #expect(table.entry(for: "/v1") == nil)
        #expect(table.entry(for: "/v2/db") == nil)
        #expect(table.refusalTraits(of: "/v1/prod/db").style == .agent)
        #expect(RoutePath("/v1/{secretId+}").restOffset == 4)
        #expect(RoutePath("/a/bc/{rest+}").restOffset == 6)
        #expect(!RoutePath("/v1/leases/{id}").takesRest)
    }

    @Test(arguments: [
        ("prod/db", "prod/db"), ("%73tatus", "status"), ("a+b", "a+b"), ("a%2Fb", "a/b"), ("%zz%4", "%zz%4"),
        ("caf%C3%A9", "café"), ("", ""),
    ])
    func theAgentsSecretIdIsPercentDecodedButKeepsPlus(encoded: String, decoded: String) {
        #expect(SecretsAgentRoute.decoded(encoded[...].utf8) == decoded)
    }

    @Test func refusalsTakeTheStyleOfTheirPath() {
        #expect(table.refusalTraits(of: "/").style == .aws)
        #expect(table.refusalTraits(of: "/v1/status").style == .admin)
        #expect(table.refusalTraits(of: "/v1/leases/x/redeem").style == .native)
        #expect(table.refusalTraits(of: "/nowhere").style == .native)
    }
}
