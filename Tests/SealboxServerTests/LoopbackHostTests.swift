import Testing

@testable import SealboxServer

@Suite struct LoopbackHostTests {
    @Test(arguments: [
        "localhost", "localhost:2773", "LOCALHOST:2773", "127.0.0.1", "127.0.0.1:2773", "127.1.2.3:2773", "[::1]",
        "[::1]:2773",
    ])
    func loopbackNamesAreAccepted(host: String) {
        #expect(LoopbackHost.accepts(host, port: 2773))
    }

    @Test(arguments: [
        "", "evil.example", "evil.example:2773", "localhost:2774", "localhost:", "localhost:02773x", "localhost.",
        "localhost.evil.example", "127.0.0.1.nip.io:2773", "128.0.0.1", "127.0.0", "127.0.0.256", "127..0.1",
        "[::2]:2773", "[::1", "[::1]2773", "0.0.0.0:2773", "localhost:2773:2773", "localhost:999999",
    ])
    func otherNamesAreRefused(host: String) {
        #expect(!LoopbackHost.accepts(host, port: 2773))
    }
}
