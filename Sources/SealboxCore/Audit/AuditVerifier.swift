import Foundation
import SealboxCrypto

/// Checks an audit log: every line's MAC, each chain's sequence and links, and each run's header and
/// checkpoints. It reads the whole file and reports every problem it finds, each with its line.
///
/// What it proves: within a chain, a record edited, deleted, inserted or moved; a record of any
/// chain missing before, or moved across, a checkpoint that signed its chain's head (also every
/// record of a chain, or a chain's tail while other chains' records follow); a record after its
/// run's final checkpoint; the end of a run, or whole runs, deleted before a later run's header
/// (which names the MAC of the record before it). What it cannot see: records after the last
/// checkpoint of a run that no later run follows (the file's tail), and records of a run that ended
/// without its final checkpoint (a crash) after its last checkpoint, when nothing later in their
/// chain or a later header depends on them.
public enum AuditVerifier {
    /// One thing wrong with the log.
    public struct Problem: Sendable, Equatable {
        /// What kind of problem it is.
        public enum Kind: String, Sendable {
            /// A record cut short by a crash mid-write.
            case torn
            /// A run without its final checkpoint: the daemon was killed or crashed.
            case unclosed
            /// A run written before run headers and checkpoints existed.
            case legacy
            /// A MAC that does not match: the record was edited or forged.
            case edited
            /// A line that is not a record.
            case malformed
            /// A chain's sequence or link broken: records deleted, inserted or reordered.
            case chain
            /// A chain's records do not match a checkpoint: deleted, or moved across it.
            case checkpoint
            /// A run's header, end or order is wrong: runs or their last records deleted.
            case run
        }

        /// The line, from 1.
        public var line: Int
        /// What kind of problem.
        public var kind: Kind
        /// What is wrong, in words.
        public var reason: String
        /// Records that verified before this line.
        public var verifiedBefore: Int

        /// Whether it shows tampering; a torn record and an unclosed run are what a crash leaves,
        /// and a legacy run is only less protected.
        public var isFailure: Bool {
            switch kind {
            case .torn, .unclosed, .legacy: false
            default: true
            }
        }
    }

    /// The outcome of a verification.
    public struct Report: Sendable, Equatable {
        /// Records whose MAC verified.
        public var verified: Int
        /// Lines that hold a record, or a torn one.
        public var records: Int
        /// Every problem, in line order.
        public var problems: [Problem]

        /// The problems that show tampering.
        public var failures: [Problem] { problems.filter(\.isFailure) }

        /// The first problem that shows tampering; nil when the log is intact (it may still hold
        /// torn records or unclosed runs, which a crash leaves).
        public var problem: Problem? { problems.first(where: \.isFailure) }
    }

    /// The MAC (64 hex digits) at the end of a complete record line, or nil for anything else.
    /// - Parameter line: one line, without its newline.
    public static func mac(of line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let suffix = Array(#","mac":""#.utf8)
        guard line.count >= suffix.count + 66 else { return nil }
        let end = line.endIndex
        guard line[end - 2] == UInt8(ascii: "\""), line[end - 1] == UInt8(ascii: "}"),
            line[(end - 66 - suffix.count)..<(end - 66)].elementsEqual(suffix)
        else { return nil }
        let mac = line[(end - 66)..<(end - 2)]
        guard mac.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return mac
    }

    /// Verifies a whole log.
    /// - Parameters:
    ///   - log: the file's bytes.
    ///   - key: the audit MAC key (``AuditLog/key(rootKey:)``).
    ///   - openRun: the run still writing to the file, whose missing final checkpoint is no problem.
    public static func verify(_ log: [UInt8], key: SecureBytes, openRun: String? = nil) -> Report {
        var verification = Verification(key: key, openRun: openRun)
        let lines = log.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let last = index == lines.count - 1
            if last && line.isEmpty { break }
            let next = last ? nil : lines[index + 1]
            verification.check(line, number: index + 1, last: last, next: next, nextIsEnd: index + 1 == lines.count - 1)
        }
        verification.finish()
        return Report(
            verified: verification.verified, records: verification.records,
            problems: verification.problems.sorted { $0.line < $1.line })
    }

    private struct Run {
        var header: Int?
        /// The line of the last checkpoint, or of the header.
        var lastCheckpoint: Int?
        var closed: Int?
        var chains: Set<String> = []
        var legacy = false
        var reported = false
    }

    private struct Verification {
        let key: SecureBytes
        let openRun: String?
        var chains: [String: (sequence: Int, mac: String)] = [:]
        var runs: [String: Run] = [:]
        var runOrder: [String] = []
        var anyHeader = false
        /// The MAC of the last complete record line so far, which the next run's header names.
        var lastMAC = "start"
        var verified = 0
        var records = 0
        var problems: [Problem] = []

        init(key: SecureBytes, openRun: String?) {
            self.key = key
            self.openRun = openRun
        }

        mutating func report(_ line: Int, _ kind: Problem.Kind, _ reason: String) {
            problems.append(Problem(line: line, kind: kind, reason: reason, verifiedBefore: verified))
        }

        /// Whether a line starts a run: a header, or the first record of a chain in an older log.
        static func startsRun(_ line: ArraySlice<UInt8>?) -> Bool {
            guard let line else { return false }
            let text = String(decoding: line, as: UTF8.self)
            return text.hasPrefix("{\"chain\":\"") && text.contains("\"seq\":1,")
        }

        mutating func check(
            _ line: ArraySlice<UInt8>, number: Int, last: Bool, next: ArraySlice<UInt8>?, nextIsEnd: Bool
        ) {
            if line.isEmpty { return report(number, .malformed, "empty line") }
            records += 1
            if last {
                return report(number, .torn, "torn final record (no newline): the daemon stopped mid-write")
            }
            guard let macBytes = AuditVerifier.mac(of: line) else {
                // A fragment followed by the start of a new run, or ending the file: a crash mid-write.
                if String(decoding: line, as: UTF8.self).hasPrefix("{\"chain\":\""),
                    nextIsEnd || Self.startsRun(next)
                {
                    return report(
                        number, .torn, "torn record: the daemon stopped mid-write; the next start closed the line")
                }
                return report(number, .malformed, "no MAC: not a record")
            }
            let mac = String(decoding: macBytes, as: UTF8.self)
            let before = lastMAC
            lastMAC = mac
            let body = line[line.startIndex..<(macBytes.startIndex - #","mac":""#.utf8.count)]
            let expected = Hex.encode(Digest.hmacSHA256(key: key, Array(body)))
            let authentic = Sodium.constantTimeEquals(Array(expected.utf8), Array(macBytes))
            if !authentic { report(number, .edited, "MAC mismatch: the record was edited or forged") }
            guard let object = try? JSONSerialization.jsonObject(with: Data(body + Array("}".utf8))) as? [String: Any],
                let chain = object["chain"] as? String, let sequence = object["seq"] as? Int,
                let previous = object["prev"] as? String
            else {
                if authentic { report(number, .malformed, "malformed record") }
                return
            }
            let state = chains[chain] ?? (0, "start")
            if sequence != state.sequence + 1 {
                report(
                    number, .chain,
                    "chain \(chain) breaks: expected record \(state.sequence + 1), found \(sequence); records were deleted or reordered"
                )
            } else if previous != state.mac {
                report(
                    number, .chain,
                    "chain \(chain) breaks at record \(sequence): it does not follow the record before it; a record was replaced"
                )
            }
            // Resynchronized on what the line says, so one deletion or edit is one problem.
            chains[chain] = (sequence, mac)
            guard authentic else { return }
            verified += 1
            if let dash = chain.firstIndex(of: "-") {
                record(String(chain[..<dash]), chain: chain, number: number)
            } else {
                runRecord(chain, object, sequence: sequence, after: before, number: number)
            }
        }

        /// A request's record: its run must have a header and no final checkpoint yet.
        mutating func record(_ runID: String, chain: String, number: Int) {
            var run = runs[runID] ?? newRun(runID, number: number)
            if run.header == nil, !run.legacy, !run.reported {
                run.reported = true
                report(
                    number, .run,
                    "run \(runID) has no header record: it was deleted, or records were added from elsewhere")
            }
            if let closed = run.closed {
                report(
                    number, .run,
                    "a record of run \(runID) follows its final checkpoint (line \(closed)): it was moved or added")
            }
            run.chains.insert(chain)
            runs[runID] = run
        }

        mutating func newRun(_ runID: String, number: Int) -> Run {
            runOrder.append(runID)
            var run = Run()
            if !anyHeader {
                run.legacy = true
                report(
                    number, .legacy,
                    "run \(runID) predates run headers and checkpoints: only its chains' MACs and order are checked")
            }
            return run
        }

        /// A record of a run's own chain: its header or a checkpoint.
        mutating func runRecord(
            _ runID: String, _ object: [String: Any], sequence: Int, after: String, number: Int
        ) {
            var run = runs[runID] ?? newRunWithHeader(runID)
            switch object["action"] as? String {
            case "audit:Open":
                run.header = number
                run.lastCheckpoint = number
                if let named = object["after"] as? String, named != after {
                    report(
                        number, .run,
                        "run \(runID) started after a record (MAC \(named.prefix(12))…) that is not the one before its header: the end of the previous run, or whole runs, were deleted, or lines were moved"
                    )
                }
            case let action where action == "audit:Checkpoint" || action == "audit:Close":
                if let closed = run.closed {
                    report(number, .run, "a checkpoint of run \(runID) follows its final checkpoint (line \(closed))")
                }
                let heads = object["heads"] as? [String: [Any]] ?? [:]
                for name in heads.keys.sorted() where !name.hasPrefix(runID + "-") {
                    report(number, .checkpoint, "the checkpoint names chain \(name) of another run")
                }
                for name in run.chains.union(heads.keys.filter { $0.hasPrefix(runID + "-") }).sorted() {
                    checkHead(name, heads[name], number: number)
                }
                run.lastCheckpoint = number
                if action == "audit:Close" { run.closed = number }
            default:
                report(number, .malformed, "a record of run \(runID)'s own chain that is neither header nor checkpoint")
            }
            runs[runID] = run
        }

        mutating func newRunWithHeader(_ runID: String) -> Run {
            runOrder.append(runID)
            anyHeader = true
            return Run()
        }

        /// A checkpoint's head for one chain against the records seen: exactly its records up to the
        /// head precede the checkpoint.
        mutating func checkHead(_ name: String, _ head: [Any]?, number: Int) {
            let expected = (head?.first as? Int ?? 0, head?.dropFirst().first as? String ?? "start")
            let seen = chains[name] ?? (0, "start")
            if seen.sequence < expected.0 {
                report(
                    number, .checkpoint,
                    "chain \(name): the checkpoint signed records up to \(expected.0), but only \(seen.sequence) precede it; records were deleted, or moved after it"
                )
                chains[name] = (expected.0, expected.1)
            } else if seen.sequence > expected.0 {
                report(
                    number, .checkpoint,
                    "chain \(name): records after \(expected.0), the checkpoint's head, precede it; they were moved")
            } else if seen.mac != expected.1 {
                report(
                    number, .checkpoint,
                    "chain \(name): record \(expected.0) is not the one the checkpoint signed; it was replaced")
                chains[name] = (expected.0, expected.1)
            }
        }

        mutating func finish() {
            for runID in runOrder where runID != openRun {
                guard let run = runs[runID], let header = run.header, run.closed == nil else { continue }
                report(
                    run.lastCheckpoint ?? header, .unclosed,
                    "run \(runID) has no final checkpoint (the daemon was killed or crashed): its records after this line are covered by no checkpoint"
                )
            }
        }
    }
}
