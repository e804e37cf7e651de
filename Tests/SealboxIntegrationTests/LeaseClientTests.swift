import Foundation
import SealboxAPI
import SealboxClient
import SealboxCrypto
import SealboxTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized) struct LeaseClientTests {
    static func putSecret(_ daemon: SealboxTestDaemon, _ name: String, _ value: String) async throws {
        let connection = try await daemon.connect()
        let response = try await connection.request(
            .post, NativePath.aws, headers: [("X-Amz-Target", "AmazonSSM.PutParameter")],
            body: Array(
                try JSONSerialization.data(withJSONObject: [
                    "Name": name, "Value": value, "Type": "SecureString", "Overwrite": true,
                ])))
        #expect(response.status == 200)
        await connection.close()
    }

    @Test func aGlobalLeaseRedeemsAndReLeasesAfterRevokeAndRestart() async throws {
        let dataDir = try SealboxTestDaemon.temporaryDataDirectory()
        var daemon = try SealboxTestDaemon.persistent(dataDir)
        let socket = daemon.socketPath
        try await Self.putSecret(daemon, "/app/db/password", "first")
        let lease = try await Sealbox.lease("/app/db/password", socketPath: socket)
        let firstID = try #require(lease.id)
        let seen = try await lease.withValue { String(decoding: $0.withUnsafeBytes { Array($0) }, as: UTF8.self) }
        #expect(seen == "first")

        // An update is seen at the next redeem, with the new version.
        try await Self.putSecret(daemon, "/app/db/password", "second \"quoted\"\n")
        let (value, version) = try await lease.redeem()
        #expect(value.constantTimeEquals(Array("second \"quoted\"\n".utf8)))
        #expect(version == 2)

        // Revoked: the handle takes a new lease by itself.
        let admin = try await daemon.connect()
        let revoked = try await admin.request(
            .post, NativePath.revokeLeases, body: Array(try JSONEncoder().encode(RevokeLeasesRequest(prefix: "/app/"))))
        #expect(revoked.status == 200)
        await admin.close()
        #expect(try await lease.redeem().version == 2)
        #expect(lease.id != firstID)

        // The daemon restarts: leases are gone, the handle re-leases.
        #expect(daemon.stop() == 0)
        daemon = try SealboxTestDaemon.persistent(dataDir)
        #expect(try await lease.redeem().value.constantTimeEquals(Array("second \"quoted\"\n".utf8)))
        #expect(daemon.stop() == 0)
    }

    /// Calls a Secrets Manager operation on the daemon's socket; the answer's JSON object.
    static func secrets(_ daemon: SealboxTestDaemon, _ operation: String, _ body: [String: Any]) async throws
        -> [String: Any]
    {
        let connection = try await daemon.connect()
        let response = try await connection.request(
            .post, NativePath.aws, headers: [("X-Amz-Target", "secretsmanager.\(operation)")],
            body: Array(try JSONSerialization.data(withJSONObject: body)))
        await connection.close()
        #expect(response.status == 200)
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test func aSecretLeaseFollowsRotationsAndServesBinaryValues() async throws {
        let daemon = try SealboxTestDaemon.persistent()
        let socket = daemon.socketPath
        _ = try await Self.secrets(daemon, "CreateSecret", ["Name": "prod/db", "SecretString": "first"])
        let lease = try await Sealbox.lease(secretId: "prod/db", socketPath: socket)
        #expect(try await lease.redeem().value.constantTimeEquals(Array("first".utf8)))
        let second = try await Self.secrets(
            daemon, "PutSecretValue", ["SecretId": "prod/db", "SecretString": "second"])
        let (value, versionId, binary) = try await lease.redeem()
        #expect(value.constantTimeEquals(Array("second".utf8)))
        #expect(versionId == second["VersionId"] as? String)
        #expect(!binary)

        _ = try await Self.secrets(
            daemon, "CreateSecret", ["Name": "blob", "SecretBinary": Data([0, 1, 255]).base64EncodedString()])
        let blob = try await Sealbox.lease(secretId: "blob", socketPath: socket).redeem()
        #expect(blob.value.constantTimeEquals([0, 1, 255]))
        #expect(blob.binary)
        await #expect(throws: SealboxError.self) { try await Sealbox.lease(secretId: "missing", socketPath: socket) }
        #expect(daemon.stop() == 0)
    }

    @Test func typedErrors() async throws {
        let daemon = try SealboxTestDaemon.persistent()
        let socket = daemon.socketPath
        do {
            _ = try await Sealbox.lease("/missing", socketPath: socket)
            Issue.record("a lease on a missing parameter was granted")
        } catch {
            #expect(error.kind == .notFound)
            #expect(error.code == "ParameterNotFound")
        }
        #expect(daemon.stop() == 0)
        do {
            _ = try await Sealbox.lease("/app/x", socketPath: socket)
            Issue.record("reached a stopped daemon")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains(socket))
        }
    }

    /// After 500 redeems, the daemon's readable memory holds no copy of the secret.
    @Test func noPlaintextIsLeftInTheDaemonAfterRedeems() async throws {
        let dataDir = try SealboxTestDaemon.temporaryDataDirectory()
        let canary = "canary-" + Hex.encode(Sodium.randomBytes(12))
        let first = try SealboxTestDaemon.persistent(dataDir)
        try await Self.putSecret(first, "/app/canary", canary)
        #expect(first.stop() == 0)

        // A fresh process, so the PutParameter request body is not in its heap.
        let daemon = try SealboxTestDaemon.persistent(dataDir)
        let lease = try await Sealbox.lease("/app/canary", socketPath: daemon.socketPath)
        for _ in 0..<500 {
            try await lease.withValue { #expect($0.count == canary.utf8.count) }
        }
        let pid = daemon.pid
        // The scan does see the daemon's heap: the parameter's name is there.
        #expect(try ProcessMemory.count(Array("/app/canary".utf8), pid: pid) > 0)
        let copies = try ProcessMemory.count(Array(canary.utf8), pid: pid)
        #expect(copies == 0, "the daemon's memory holds \(copies) copies of the plaintext")
        #expect(daemon.stop() == 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: dataDir.path) {
            let bytes = (try? Data(contentsOf: dataDir.appendingPathComponent(file))) ?? Data()
            #expect(bytes.range(of: Data(canary.utf8)) == nil, "\(file) holds the plaintext")
        }
    }
}

/// Reads another process's readable mappings through /proc/<pid>/mem.
enum ProcessMemory {
    static func count(_ needle: [UInt8], pid: Int32) throws -> Int {
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
        let fd = open("/proc/\(pid)/mem", O_RDONLY)
        guard fd >= 0 else { throw ScanError(description: "cannot open /proc/\(pid)/mem: errno \(errno)") }
        defer { close(fd) }
        var found = 0
        var scanned = 0
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, fields[1].hasPrefix("r") else { continue }
            if fields.count >= 6, fields[5].hasPrefix("[vvar") || fields[5].hasPrefix("[vsyscall") { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt64($0, radix: 16) }
            guard bounds.count == 2 else { continue }
            var offset = bounds[0]
            var carry: [UInt8] = []
            while offset < bounds[1] {
                let size = Int(min(1 << 20, bounds[1] - offset))
                var chunk = [UInt8](repeating: 0, count: size)
                let read = chunk.withUnsafeMutableBytes {
                    pread(fd, $0.baseAddress, size, off_t(Int64(bitPattern: offset)))
                }
                guard read > 0 else { break }
                scanned += read
                let window = carry + chunk[0..<read]
                found += occurrences(needle, in: window)
                carry = Array(window.suffix(needle.count - 1))
                // Matches inside the carried tail were counted in the previous window.
                offset += UInt64(read)
            }
        }
        guard scanned > 0 else { throw ScanError(description: "no readable memory scanned") }
        return found
    }

    private static func occurrences(_ needle: [UInt8], in haystack: [UInt8]) -> Int {
        guard haystack.count >= needle.count, let first = needle.first else { return 0 }
        var count = 0
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) {
                count += 1
                index += needle.count
            } else {
                index += 1
            }
        }
        return count
    }
}
