import Foundation
import SealboxClient
import SealboxCore
import SealboxCrypto
import SealboxTesting
import Testing

@Suite struct AuditLogTests {
    /// The daemon's own audit log verifies under its root key, holds no value, and an edit is found.
    @Test func theDaemonsLogVerifiesAndAnEditIsDetected() async throws {
        let dataDir = try SealboxTestDaemon.temporaryDataDirectory()
        let daemon = try SealboxTestDaemon.persistent(dataDir)
        try await LeaseClientTests.putSecret(daemon, "/app/audited", "audit-canary-value")
        let lease = try await Sealbox.lease("/app/audited", socketPath: daemon.socketPath)
        for _ in 0..<5 { _ = try await lease.redeem() }
        #expect(daemon.stop() == 0)

        let rootText = try String(contentsOf: dataDir.appendingPathComponent("root.key"), encoding: .utf8)
        let root = try Base64.decodeSecure(Array(rootText.trimmingCharacters(in: .whitespacesAndNewlines).utf8))
        let key = AuditLog.key(rootKey: root)
        let log = try Data(contentsOf: dataDir.appendingPathComponent("audit.log"))
        #expect(log.range(of: Data("audit-canary-value".utf8)) == nil)
        let report = AuditVerifier.verify(Array(log), key: key)
        #expect(report.problems.isEmpty)
        var lines = String(decoding: log, as: UTF8.self).split(separator: "\n").map(String.init)
        // The run's header, PutParameter (intent, outcome), lease:Create, 5 × lease:Redeem, and the
        // final checkpoint; a slow run (under a sanitizer) may also hold periodic checkpoints.
        let periodic = lines.filter { $0.contains("\"action\":\"audit:Checkpoint\"") }.count
        #expect(report.verified == 10 + periodic)

        let redeem = try #require(lines.firstIndex { $0.contains("\"action\":\"lease:Redeem\"") })
        lines[redeem] = lines[redeem].replacingOccurrences(of: "\"allowed\"", with: "\"denied\"")
        let edited = AuditVerifier.verify(Array((lines.joined(separator: "\n") + "\n").utf8), key: key)
        #expect(edited.problem?.line == redeem + 1)
    }
}
