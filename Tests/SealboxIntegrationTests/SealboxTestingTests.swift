import Foundation
import SealboxAPI
import SealboxClient
import SealboxTesting
import Testing

/// The Swift test helper, used the way a handler's test suite would use it.
@Suite struct SealboxTestingTests {
    static func fixtureFile() throws -> String {
        let path = NSTemporaryDirectory() + "sealbox-fixtures-\(UUID().uuidString.prefix(8)).yaml"
        try """
        keys:
          - {aliases: [alias/app], description: app key}
        parameters:
          - {name: /app/db/password, type: SecureString, keyId: alias/app, value: fixture-secret}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aSuiteLeasesAFixtureSecretSeesItsCallsAndResets() async throws {
        let daemon = try SealboxTestDaemon.start(
            binary: SealboxTestDaemon.builtBinary, fixtures: try Self.fixtureFile())
        defer { daemon.stop() }
        #expect(daemon.endpointURL.hasPrefix("http://127.0.0.1:"))
        let lease = try await Sealbox.lease("/app/db/password", socketPath: daemon.socketPath)
        let value = try await lease.withValue { String(decoding: $0.withUnsafeBytes(Array.init), as: UTF8.self) }
        #expect(value == "fixture-secret")

        let operations = try await daemon.calls().map(\.operation)
        #expect(operations == ["lease:Create", "lease:Redeem"])
        let redeem = try #require(try await daemon.calls().last)
        #expect(redeem.principal.pid == getpid())
        #expect(redeem.resources.contains("/app/db/password"))

        try await daemon.reset()
        #expect(try await daemon.calls().isEmpty)
        // The fixture state is back, and the old lease is gone with the reset.
        let again = try await Sealbox.lease("/app/db/password", socketPath: daemon.socketPath)
        #expect(try await again.withValue { $0.count } == "fixture-secret".utf8.count)
    }

    @Test func twoDaemonsRunSideBySide() async throws {
        let first = try SealboxTestDaemon.start(binary: SealboxTestDaemon.builtBinary)
        defer { first.stop() }
        let second = try SealboxTestDaemon.start(binary: SealboxTestDaemon.builtBinary)
        defer { second.stop() }
        #expect(first.endpointURL != second.endpointURL)
        #expect(first.socketPath != second.socketPath)
        try await first.reset()
        try await second.reset()
    }
}

/// Encrypted environment variables through the Swift client.
@Suite struct EnvironmentClientTests {
    @Test func aHandlerDecryptsItsEnvironmentVariableThroughTheDaemon() async throws {
        let daemon = try SealboxTestDaemon.start(binary: SealboxTestDaemon.builtBinary)
        defer { daemon.stop() }
        let connection = try await SealboxConnection.connect(to: .unixSocket(path: daemon.socketPath))
        let request = EnvRequest(name: "SEALBOX_TEST_PASSWORD", value: "env-secret")
        let encrypted = try await connection.request(
            .post, NativePath.envEncrypt, body: Array(try JSONEncoder().encode(request)))
        await connection.close()
        #expect(encrypted.status == 200)
        let token = try JSONDecoder().decode(EnvToken.self, from: Data(encrypted.body)).token
        #expect(token.hasPrefix("sealbox:v1:"))

        setenv("SEALBOX_TEST_PASSWORD", token, 1)
        defer { unsetenv("SEALBOX_TEST_PASSWORD") }
        let value = try await Sealbox.environment("SEALBOX_TEST_PASSWORD", socketPath: daemon.socketPath)
        #expect(value.withUnsafeBytes(Array.init) == Array("env-secret".utf8))
        // Bound to its name: the same token under another name is refused.
        await #expect(throws: SealboxError.self) {
            _ = try await Sealbox.decryptEnvironment(name: "OTHER", token: token, socketPath: daemon.socketPath)
        }
        #expect(try await daemon.calls().map(\.operation) == ["env:Encrypt", "env:Decrypt", "env:Decrypt"])
    }
}
