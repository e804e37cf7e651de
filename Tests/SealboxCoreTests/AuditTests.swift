import Foundation
import SealboxCore
import SealboxCrypto
import Testing

@Suite struct AuditTests {
    static func writeLog(records: Int) throws -> (path: String, key: SecureBytes) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(KeyID.random()).log").path
        let key = AuditLog.key(rootKey: .random(count: 32))
        let log = try AuditLog(path: path, key: key, clock: ManualClock())
        let context = RequestContext(
            region: "us-east-1", accountID: "123456789012",
            principal: .process(pid: 7, uid: 1001, gid: 1001, startTime: 9),
            action: .redeemLease)
        for index in 0..<records {
            let trail = AuditTrail()
            trail.setLease("lease-\(index)")
            try log.record(context, trail: trail, result: index % 3 == 0 ? "denied" : "allowed")
        }
        return (path, key)
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    static func verify(_ lines: [String], _ key: SecureBytes, trailingNewline: Bool = true) -> AuditVerifier.Report {
        AuditVerifier.verify(Array((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8), key: key)
    }

    @Test func anIntactLogVerifiesAndHoldsNoValues() throws {
        let (path, key) = try Self.writeLog(records: 5)
        let lines = try Self.lines(path)
        #expect(lines.count == 5)
        let report = Self.verify(lines, key)
        #expect(report.verified == 5)
        #expect(report.problem == nil)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["action"] as? String == "lease:Redeem")
        #expect((first["principal"] as? [String: Any])?["uid"] as? Int == 1001)
        #expect(first["leaseId"] as? String == "lease-0")
        #expect(first["result"] as? String == "denied")
        #expect(lines[0].contains(#""seq":1,"time":1800000000.000000,"principal":{"uid":1001,"gid":1001,"pid":7}"#))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// A lease named in a request path is recorded as that slice of the path, escaped, and nothing
    /// around it.
    @Test func aResourceCheckedTwiceIsRecordedOnce() throws {
        var context = RequestContext(region: "us-east-1", accountID: "123456789012", principal: .token)
        context.action = Action("ssm:LabelParameterVersion", audited: true)
        context.trail = AuditTrail()
        try context.authorize(["/app/db"])
        try context.authorize(["/app/db", "/app/other"])
        #expect(context.trail?.touchedResources == ["/app/db", "/app/other"])
    }

    @Test func aLeaseSliceOfThePathIsRecordedAlone() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(KeyID.random()).log").path
        let key = AuditLog.key(rootKey: .random(count: 32))
        let log = try AuditLog(path: path, key: key, clock: ManualClock())
        let uri = "/v1/leases/a\"b\\c/redeem"
        let trail = AuditTrail()
        trail.setLease(uri.split(separator: "/")[2])
        try log.record(
            RequestContext(
                region: "us-east-1", accountID: "1", principal: .process(pid: 0, uid: 0, gid: 0, startTime: 0)),
            trail: trail, result: "allowed")
        let line = try #require(try Self.lines(path).first)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(record["leaseId"] as? String == "a\"b\\c")
        #expect(Self.verify([line], key).verified == 1)
    }

    /// Times are written to the microsecond, and numbers as plain decimals.
    @Test(arguments: [(1_764_000_000.25, "1764000000.250000"), (0.000_001, "0.000001"), (59.999_999_6, "60.000000")])
    func recordTimes(time: Double, text: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(KeyID.random()).log").path
        let key = AuditLog.key(rootKey: .random(count: 32))
        let log = try AuditLog(path: path, key: key, clock: ManualClock(time))
        try log.record(
            RequestContext(
                region: "us-east-1", accountID: "1", principal: .process(pid: 0, uid: 0, gid: 0, startTime: 0)),
            trail: AuditTrail(), result: "allowed")
        let line = try #require(try Self.lines(path).first)
        #expect(line.contains(#","time":\#(text),"principal":{"uid":0,"gid":0,"pid":0}"#))
        #expect(Self.verify([line], key).verified == 1)
    }

    @Test func batchedChainsInterleaveWithSharedOnesAndVerify() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(KeyID.random()).log").path
        let key = AuditLog.key(rootKey: .random(count: 32))
        let log = try AuditLog(path: path, key: key, clock: ManualClock())
        let context = RequestContext(
            region: "us-east-1", accountID: "123456789012", principal: .token,
            action: Action("kms:Decrypt", audited: true))
        let loops = [log.makeChain(), log.makeChain()]
        for round in 0..<3 {
            for (index, chain) in loops.enumerated() {
                for _ in 0...index + round { chain.append(context, trail: AuditTrail(), result: "allowed") }
            }
            try log.record(context, trail: AuditTrail(), result: "denied")
            try loops[round % 2].flush()
            try loops[(round + 1) % 2].flush()
        }
        let lines = try Self.lines(path)
        #expect(lines.count == (1 + 2 + 3) + (2 + 3 + 4) + 3)
        let report = Self.verify(lines, key)
        #expect(report.verified == lines.count)
        #expect(report.problem == nil)
        let chains = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["chain"] as? String
        }
        #expect(Set(chains).count == 3)
    }

    @Test func aFailedFlushThrowsAndWritesNothing() throws {
        let log = try AuditLog(path: "/dev/full", key: AuditLog.key(rootKey: .random(count: 32)))
        let chain = log.makeChain()
        let context = RequestContext(
            region: "us-east-1", accountID: "123456789012", principal: .token,
            action: Action("kms:Decrypt", audited: true))
        chain.append(context, trail: AuditTrail(), result: "allowed")
        chain.append(context, trail: AuditTrail(), result: "allowed")
        #expect(throws: (any Error).self) { try chain.flush() }
        // The buffer was dropped with the failure: nothing is left to write.
        try chain.flush()
    }

    @Test func aTornRecordFromACrashIsClosedAtOpenAndNamedByTheVerifier() throws {
        let (path, key) = try Self.writeLog(records: 3)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"chain":"abc-0","seq":4,"time":1"#.utf8))
        try handle.close()
        let reopened = try AuditLog(path: path, key: key, clock: ManualClock())
        #expect(reopened.repairedTornLine == 4)
        let context = RequestContext(
            region: "us-east-1", accountID: "123456789012", principal: .token,
            action: Action("kms:Decrypt", audited: true))
        try reopened.record(context, trail: AuditTrail(), result: "allowed")
        let lines = try Self.lines(path)
        #expect(lines.count == 5)
        let report = Self.verify(lines, key)
        #expect(report.verified == 3)
        #expect(report.problem?.line == 4)
        #expect(report.problem?.reason.hasPrefix("torn record") == true)
        // A clean file is left alone.
        #expect(try AuditLog(path: try Self.writeLog(records: 2).path, key: key).repairedTornLine == nil)
    }

    @Test func anEditIsDetected() throws {
        let (path, key) = try Self.writeLog(records: 4)
        var lines = try Self.lines(path)
        lines[2] = lines[2].replacingOccurrences(of: "\"allowed\"", with: "\"denied!\"")
        let report = Self.verify(lines, key)
        #expect(report.verified == 2)
        #expect(report.problem?.line == 3)
        #expect(report.problem?.reason.contains("MAC mismatch") == true)
    }

    @Test func aDeletionOrReorderIsDetected() throws {
        let (path, key) = try Self.writeLog(records: 4)
        var lines = try Self.lines(path)
        lines.remove(at: 1)
        #expect(Self.verify(lines, key).problem?.line == 2)
        var swapped = try Self.lines(path)
        swapped.swapAt(1, 2)
        #expect(Self.verify(swapped, key).problem?.reason.contains("breaks") == true)
    }

    @Test func aTornFinalRecordIsReportedWithItsLine() throws {
        let (path, key) = try Self.writeLog(records: 3)
        var lines = try Self.lines(path)
        lines[2] = String(lines[2].prefix(40))
        let report = Self.verify(lines, key, trailingNewline: false)
        #expect(report.verified == 2)
        #expect(report.problem?.line == 3)
        #expect(report.problem?.reason.contains("torn") == true)
    }

    @Test func anotherKeyFailsAtTheFirstLine() throws {
        let (path, _) = try Self.writeLog(records: 2)
        let report = Self.verify(try Self.lines(path), AuditLog.key(rootKey: .random(count: 32)))
        #expect(report.problem?.line == 1)
    }
}
