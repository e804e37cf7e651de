import Testing

@testable import SealboxServer

@Suite struct ServerMetricsTests {
    @Test(arguments: [
        ("/", "aws"), ("/v1/leases", "leases"), ("/v1/leases/abc/redeem", "leases"),
        ("/systemsmanager/parameters/get", "extension"), ("/v1/keys", "admin"), ("/metrics", "admin"),
        ("/metricsx", "other"), ("", "other"), ("/v1", "other"), ("/systemsmanager", "other"), ("/é", "other"),
    ])
    func familyOfPath(path: String, family: String) {
        #expect(ServerMetrics.family(of: path[...]).label == family)
        // A path that is a slice of a longer target reads only its own bytes.
        let target = path + "?x=/v1/leases"
        #expect(ServerMetrics.family(of: HTTPRequest.split(target).path).label == family)
        // The whole target, as the request handler passes it, reads only the path.
        #expect(ServerMetrics.family(of: target[...]).label == family)
    }
}
