import NIOHTTP1
import Testing

@testable import SealboxServer

@Suite struct HTTPRequestTests {
    private func request(_ uri: String) -> HTTPRequest {
        HTTPRequest(
            head: HTTPRequestHead(version: .http1_1, method: .GET, uri: uri), body: [],
            connection: ConnectionInfo(transport: .tcp))
    }

    private func segments(_ uri: String) -> [Substring] {
        let segments = request(uri).pathSegments
        return (0..<min(segments.count, PathSegments.capacity)).map { segments[$0] }
    }

    @Test func pathAndSegmentsSkipEmptySegments() {
        let parsed = request("//v1//leases/ab%2Fc/redeem/?x=1")
        #expect(parsed.path == "//v1//leases/ab%2Fc/redeem/")
        #expect(parsed.query == "x=1")
        #expect(segments("//v1//leases/ab%2Fc/redeem/?x=1") == ["v1", "leases", "ab%2Fc", "redeem"])
        #expect(request("/").pathSegments.count == 0)
        #expect(segments("/é/ü?") == ["é", "ü"])
        #expect(segments("/a/b/c/d/e/f/g/h") == ["a", "b", "c", "d", "e", "f", "g", "h"])
        #expect(request("/health").query.isEmpty)
        let twice = request("/é?a=1?b")
        #expect(twice.path == "/é" && twice.query == "a=1?b")
        #expect(request("?").path.isEmpty && request("?").query.isEmpty)
    }

    @Test func segmentsPastTheCapacityAreCountedOnly() {
        let path = "/" + (1...PathSegments.capacity + 3).map(String.init).joined(separator: "/")
        let segments = request(path).pathSegments
        #expect(segments.count == PathSegments.capacity + 3)
        #expect(segments[PathSegments.capacity - 1] == "\(PathSegments.capacity)")
    }

    @Test func queryItemsArePercentDecodedPairs() {
        let items = request(
            "/p?name=%2Fapp%2fdb&withDecryption=true&flag&&a=b=c&sp=a+b&bad=%zz1&end=9%&half=%a&bin=%ff&k=1&k=2&=v"
        )
        .queryItems
        #expect(
            items == [
                "name": "/app/db", "withDecryption": "true", "flag": "", "a": "b=c", "sp": "a b", "bad": "%zz1",
                "end": "9%", "half": "%a", "bin": "\u{FFFD}", "k": "2", "": "v",
            ])
        #expect(request("/p").queryItems.isEmpty)
    }

    @Test func oneQueryItemIsLookedUpAsTheDictionaryHasIt() {
        let uri = "/p?name=%2Fapp%2fdb&flag&&a=b=c&sp=a+b&k=1&k=2&%6Be%79=encoded&=v&n%61me=late"
        let parsed = request(uri)
        for name in ["name", "flag", "a", "sp", "k", "key", "", "missing", "fla", "flags"] {
            #expect(parsed.queryItem(name) == parsed.queryItems[name], "\(name)")
        }
        #expect(parsed.queryItem("name") == "late")
        #expect(parsed.queryItem("k") == "2")
        #expect(parsed.queryItem("key") == "encoded")
        #expect(parsed.queryItem("flag") == "")
        #expect(parsed.queryItem("missing") == nil)
        #expect(request("/p").queryItem("name") == nil)
    }
}
