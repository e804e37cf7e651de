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

    static func verify(
        _ lines: [String], _ key: SecureBytes, trailingNewline: Bool = true, openRun: String? = nil
    ) -> AuditVerifier.Report {
        AuditVerifier.verify(
            Array((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8), key: key, openRun: openRun)
    }

    @Test func anIntactLogVerifiesAndHoldsNoValues() throws {
        let (path, key) = try Self.writeLog(records: 5)
        let lines = try Self.lines(path)
        #expect(lines.count == 6)
        let report = Self.verify(lines, key)
        #expect(report.verified == 6)
        #expect(report.problem == nil)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(header["action"] as? String == "audit:Open")
        #expect(header["after"] as? String == "start")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(first["action"] as? String == "lease:Redeem")
        #expect((first["principal"] as? [String: Any])?["uid"] as? Int == 1001)
        #expect(first["leaseId"] as? String == "lease-0")
        #expect(first["result"] as? String == "denied")
        #expect(lines[1].contains(#""seq":1,"time":1800000000.000000,"principal":{"uid":1001,"gid":1001,"pid":7}"#))
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
        let lines = try Self.lines(path)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(record["leaseId"] as? String == "a\"b\\c")
        #expect(Self.verify(lines, key).verified == 2)
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
        let lines = try Self.lines(path)
        #expect(lines[1].contains(#","time":\#(text),"principal":{"uid":0,"gid":0,"pid":0}"#))
        #expect(Self.verify(lines, key).verified == 2)
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
        #expect(lines.count == 1 + (1 + 2 + 3) + (2 + 3 + 4) + 3)
        let report = Self.verify(lines, key)
        #expect(report.verified == lines.count)
        #expect(report.problem == nil)
        let chains = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["chain"] as? String
        }
        #expect(Set(chains).count == 4)  // the run's own chain, two loops, one shared
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
        #expect(reopened.repairedTornLine == 5)
        try reopened.record(Self.decrypt, trail: AuditTrail(), result: "allowed")
        let lines = try Self.lines(path)
        #expect(lines.count == 7)
        let report = Self.verify(lines, key, openRun: reopened.runID)
        #expect(report.verified == 6)
        // The torn record is listed, the first run as unclosed, and neither fails the log.
        #expect(report.problem == nil)
        #expect(report.problems.map(\.kind) == [.unclosed, .torn])
        #expect(report.problems.last?.line == 5)
        #expect(report.problems.last?.reason.hasPrefix("torn record") == true)
        // A clean file is left alone.
        #expect(try AuditLog(path: try Self.writeLog(records: 2).path, key: key).repairedTornLine == nil)
    }

    static let decrypt = RequestContext(
        region: "us-east-1", accountID: "123456789012", principal: .token,
        action: Action("kms:Decrypt", audited: true))

    /// Verification goes on past a torn record: a deletion after it is reported too, and fails.
    @Test func aDeletionAfterATornRecordIsStillFound() throws {
        let (path, key) = try Self.writeLog(records: 3)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"chain":"abc-0","seq":4,"ti"#.utf8))
        try handle.close()
        let reopened = try AuditLog(path: path, key: key, clock: ManualClock())
        for _ in 0..<3 { try reopened.record(Self.decrypt, trail: AuditTrail(), result: "allowed") }
        var lines = try Self.lines(path)
        #expect(lines.count == 9)
        lines.remove(at: 7)  // the second record of the second run
        let report = Self.verify(lines, key)
        #expect(report.problems.contains { $0.kind == .torn && $0.line == 5 })
        #expect(report.problem?.kind == .chain)
        #expect(report.problem?.line == 8)
        #expect(report.failures.count == 1)
    }

    @Test func anEditIsDetectedAndVerificationGoesOn() throws {
        let (path, key) = try Self.writeLog(records: 4)
        var lines = try Self.lines(path)
        lines[2] = lines[2].replacingOccurrences(of: "\"allowed\"", with: "\"denied!\"")
        lines[3] = lines[3].replacingOccurrences(of: "\"allowed\"", with: "\"denied!\"")
        let report = Self.verify(lines, key)
        #expect(report.verified == 3)
        #expect(report.problem?.line == 3)
        #expect(report.problem?.verifiedBefore == 2)
        #expect(report.problem?.reason.contains("MAC mismatch") == true)
        #expect(report.failures.map(\.line) == [3, 4])
    }

    @Test func aDeletionOrReorderIsDetected() throws {
        let (path, key) = try Self.writeLog(records: 4)
        var lines = try Self.lines(path)
        lines.remove(at: 2)
        #expect(Self.verify(lines, key).problem?.line == 3)
        var swapped = try Self.lines(path)
        swapped.swapAt(2, 3)
        #expect(Self.verify(swapped, key).problem?.reason.contains("breaks") == true)
    }

    @Test func aTornFinalRecordIsReportedWithItsLine() throws {
        let (path, key) = try Self.writeLog(records: 3)
        var lines = try Self.lines(path)
        lines[3] = String(lines[3].prefix(40))
        let report = Self.verify(lines, key, trailingNewline: false)
        #expect(report.verified == 3)
        #expect(report.problem == nil)
        #expect(report.problems.filter { $0.kind == .torn }.map(\.line) == [4])
    }

    @Test func anotherKeyFailsAtTheFirstLine() throws {
        let (path, _) = try Self.writeLog(records: 2)
        let report = Self.verify(try Self.lines(path), AuditLog.key(rootKey: .random(count: 32)))
        #expect(report.problem?.line == 1)
    }

    /// Two event-loop chains and a shared one, a final checkpoint: the log as a daemon leaves it.
    static func closedRun(
        _ path: String, _ key: SecureBytes, rounds: Int = 3
    ) throws -> (log: AuditLog, chains: [String]) {
        let log = try AuditLog(path: path, key: key, clock: ManualClock())
        let loops = [log.makeChain(), log.makeChain()]
        for round in 0..<rounds {
            for chain in loops {
                chain.append(decrypt, trail: AuditTrail(), result: "allowed")
                try chain.flush()
            }
            if round == 1 { try log.checkpoint(final: false) }
            try log.record(decrypt, trail: AuditTrail(), result: "intent")
        }
        try log.checkpoint(final: true)
        return (log, ["\(log.runID)-0", "\(log.runID)-1"])
    }

    static func chain(of line: String) -> String {
        ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["chain"] as? String ?? ""
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(KeyID.random()).log").path
    }

    @Test func aClosedRunVerifiesWithItsCheckpoints() throws {
        let (path, key) = (Self.temporaryPath(), AuditLog.key(rootKey: .random(count: 32)))
        let (log, _) = try Self.closedRun(path, key)
        let lines = try Self.lines(path)
        // Header, 3 rounds of 3 records, one periodic and the final checkpoint.
        #expect(lines.count == 1 + 9 + 2)
        #expect(Self.verify(lines, key).problems.isEmpty)
        let close = try #require(try JSONSerialization.jsonObject(with: Data(lines[11].utf8)) as? [String: Any])
        #expect(close["action"] as? String == "audit:Close")
        #expect((close["heads"] as? [String: [Any]])?["\(log.runID)-0"]?.first as? Int == 3)
        // Nothing is written after the final checkpoint.
        #expect(throws: (any Error).self) { try log.record(Self.decrypt, trail: AuditTrail(), result: "allowed") }
        #expect(try Self.lines(path).count == lines.count)
    }

    @Test func anIdleDaemonWritesNoCheckpoint() throws {
        let (path, key) = (Self.temporaryPath(), AuditLog.key(rootKey: .random(count: 32)))
        let log = try AuditLog(path: path, key: key, clock: ManualClock())
        try log.record(Self.decrypt, trail: AuditTrail(), result: "allowed")
        #expect(try log.checkpoint(final: false))
        #expect(try !log.checkpoint(final: false))
        #expect(try Self.lines(path).count == 3)
    }

    @Test func deletingEveryRecordOfOneChainIsDetected() throws {
        let (path, key) = (Self.temporaryPath(), AuditLog.key(rootKey: .random(count: 32)))
        let (_, chains) = try Self.closedRun(path, key)
        let lines = try Self.lines(path).filter { Self.chain(of: $0) != chains[1] }
        let report = Self.verify(lines, key)
        #expect(report.problem?.kind == .checkpoint)
        #expect(report.problem?.reason.contains(chains[1]) == true)
    }

    @Test func cuttingOneChainsTailWhileOthersFollowIsDetected() throws {
        let (path, key) = (Self.temporaryPath(), AuditLog.key(rootKey: .random(count: 32)))
        let (_, chains) = try Self.closedRun(path, key)
        var lines = try Self.lines(path)
        let last = try #require(lines.lastIndex { Self.chain(of: $0) == chains[0] })
        lines.remove(at: last)
        let report = Self.verify(lines, key)
        #expect(report.problem?.kind == .checkpoint)
        #expect(report.failures.count == 1)
    }

    @Test func swappingLinesOfTwoChainsAcrossACheckpointIsDetected() throws {
        let (path, key) = (Self.temporaryPath(), AuditLog.key(rootKey: .random(count: 32)))
        let (log, chains) = try Self.closedRun(path, key)
        var lines = try Self.lines(path)
        let checkpoint = try #require(lines.firstIndex { $0.contains(#""action":"audit:Checkpoint""#) })
        let before = try #require(lines[..<checkpoint].lastIndex { Self.chain(of: $0) == chains[0] })
        let after = try #require(lines[checkpoint...].firstIndex { Self.chain(of: $0) == chains[1] })
        lines.swapAt(before, after)
        let report = Self.verify(lines, key)
        #expect(report.failures.contains { $0.kind == .checkpoint && $0.line == checkpoint + 1 })
        _ = log
    }

    @Test func aRecordAfterTheFinalCheckpointIsDetected() throws {
        let (path, key) = (Self.temporaryPath(), AuditLog.key(rootKey: .random(count: 32)))
        let (_, chains) = try Self.closedRun(path, key)
        var lines = try Self.lines(path)
        let moved = lines.remove(at: try #require(lines.lastIndex { Self.chain(of: $0) == chains[0] }))
        lines.append(moved)
        let kinds = Set(Self.verify(lines, key).failures.map(\.kind))
        #expect(kinds.isSuperset(of: [.checkpoint, .run]))
    }

    @Test func deletingAWholeRunOrTheEndOfOneIsDetected() throws {
        let (path, key) = (Self.temporaryPath(), AuditLog.key(rootKey: .random(count: 32)))
        _ = try Self.closedRun(path, key)
        let first = try Self.lines(path).count
        let (second, _) = try Self.closedRun(path, key)
        let lines = try Self.lines(path)
        #expect(Self.verify(lines, key, openRun: second.runID).problems.isEmpty)
        let withoutFirstRun = Array(lines[first...])
        #expect(Self.verify(withoutFirstRun, key).problem?.kind == .run)
        var withoutItsEnd = lines
        withoutItsEnd.removeSubrange((first - 2)..<first)
        #expect(Self.verify(withoutItsEnd, key).problem?.kind == .run)
        // Only the file's tail can go unseen: the last run, whole, is cut.
        #expect(Self.verify(Array(lines[..<first]), key).problems.isEmpty)
    }

    @Test func aRunWithoutItsFinalCheckpointIsNotedAndNotFailed() throws {
        let (path, key) = (Self.temporaryPath(), AuditLog.key(rootKey: .random(count: 32)))
        let log = try AuditLog(path: path, key: key, clock: ManualClock())
        try log.record(Self.decrypt, trail: AuditTrail(), result: "allowed")
        let next = try AuditLog(path: path, key: key, clock: ManualClock())
        try next.record(Self.decrypt, trail: AuditTrail(), result: "allowed")
        let report = Self.verify(try Self.lines(path), key, openRun: next.runID)
        #expect(report.problem == nil)
        #expect(report.problems.map(\.kind) == [.unclosed])
        #expect(report.problems.first?.reason.contains(log.runID) == true)
    }

    @Test func aLongResourceIsRecordedCutWithItsLength() throws {
        var context = RequestContext(region: "us-east-1", accountID: "123456789012", principal: .token)
        context.action = Action("lease:Create", audited: true)
        context.trail = AuditTrail()
        let long = String(repeating: "é", count: 40_000)
        try context.authorize([long, "/app/db"])
        let recorded = try #require(context.trail?.touchedResources)
        #expect(recorded.count == 2)
        #expect(recorded[0].utf8.count < AuditTrail.maxResourceBytes + 64)
        #expect(recorded[0].hasSuffix("...[truncated, 80000 bytes]"))
        #expect(recorded[0].hasPrefix(String(repeating: "é", count: 512)))
        #expect(recorded[1] == "/app/db")
    }
}
