import Foundation
import NIOCore
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// An ephemeral daemon's record of every call, in order, for test assertions (`GET /v1/test/calls`).
/// Nothing here holds a value.
public final class CallRecorder: Sendable {
    /// One call, as `GET /v1/test/calls` lists it.
    struct Call: Encodable, Sendable {
        struct Principal: Encodable, Sendable {
            var kind: String
            var pid: Int32?
            var uid: UInt32?
            var gid: UInt32?
            var accessKey: String?
        }
        var sequence: Int
        var time: Double
        var operation: String
        /// Key references as the caller wrote them; `resources` holds what they resolved to.
        var references: [String]
        var resources: [String]
        var principal: Principal
        var result: String
        var status: UInt

        /// The call as a JSON object with its keys sorted, as `JSONEncoder` with `.sortedKeys` wrote it.
        func appendJSON(to out: inout [UInt8]) {
            out.append(contentsOf: #"{"operation":"#.utf8)
            JSONText.appendQuoted(operation, to: &out)
            out.append(contentsOf: #","principal":{"#.utf8)
            if let accessKey = principal.accessKey {
                out.append(contentsOf: #""accessKey":"#.utf8)
                JSONText.appendQuoted(accessKey, to: &out)
                out.append(UInt8(ascii: ","))
            }
            if let gid = principal.gid {
                Self.append(#""gid":"#, Int64(gid), to: &out)
                out.append(UInt8(ascii: ","))
            }
            out.append(contentsOf: #""kind":"#.utf8)
            JSONText.appendQuoted(principal.kind, to: &out)
            if let pid = principal.pid { Self.append(#","pid":"#, Int64(pid), to: &out) }
            if let uid = principal.uid { Self.append(#","uid":"#, Int64(uid), to: &out) }
            out.append(contentsOf: #"},"references":["#.utf8)
            for (index, reference) in references.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(reference, to: &out)
            }
            out.append(contentsOf: #"],"resources":["#.utf8)
            for (index, resource) in resources.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(resource, to: &out)
            }
            out.append(contentsOf: #"],"result":"#.utf8)
            JSONText.appendQuoted(result, to: &out)
            Self.append(#","sequence":"#, Int64(sequence), to: &out)
            Self.append(#","status":"#, Int64(status), to: &out)
            out.append(contentsOf: #","time":"#.utf8)
            // The shortest digits that read back as the same Double, as JSONEncoder writes them.
            var time = time.description
            if time.hasSuffix(".0") { time.removeLast(2) }
            out.append(contentsOf: time.utf8)
            out.append(UInt8(ascii: "}"))
        }

        private static func append(_ key: String, _ value: Int64, to out: inout [UInt8]) {
            out.append(contentsOf: key.utf8)
            if value < 0 { out.append(UInt8(ascii: "-")) }
            JSONText.withDecimalDigits(of: value.magnitude) { out.append(contentsOf: $0) }
        }
    }

    // A ring, so that a full record costs each call the same as an empty one: an array shifted its
    // 100,000 calls down on every call once full.
    private struct State {
        var calls = CircularBuffer<Call>()
        var next = 1
    }

    private let state = Locked(State())
    private let clock: any WallClock
    private let capacity: Int

    /// - Parameters:
    ///   - capacity: the calls kept; older ones are dropped first.
    ///   - clock: the time source.
    public init(capacity: Int = 100_000, clock: any WallClock = SystemClock()) {
        precondition(capacity > 0, "a call record keeps something")
        self.capacity = capacity
        self.clock = clock
    }

    func record(_ entry: AuditEntry, status: UInt) {
        let principal: Call.Principal =
            switch entry.context.principal {
            case .process(let pid, let uid, let gid, _): .init(kind: "process", pid: pid, uid: uid, gid: gid)
            case .accessKey(let id): .init(kind: "accessKey", accessKey: id)
            case .token: .init(kind: "token")
            case .anonymous: .init(kind: "anonymous")
            case .daemon: .init(kind: "daemon")
            }
        // Built outside the lock, which both event loops take; only the sequence number is given under it.
        var call = Call(
            sequence: 0, time: clock.now(), operation: entry.context.action.name,
            references: entry.trail.namedReferences, resources: entry.trail.touchedResources,
            principal: principal, result: entry.result, status: status)
        state.withLock { state in
            call.sequence = state.next
            state.calls.append(call)
            state.next += 1
            if state.calls.count > capacity { state.calls.removeFirst() }
        }
    }

    /// The calls kept, oldest first.
    var calls: [Call] { state.withLock { Array($0.calls) } }

    /// `{"calls":[...]}` for `GET /v1/test/calls`, written straight into bytes: `JSONEncoder` built
    /// a tree of the whole record first, which took a full record's daemon from 56 to 224 MiB.
    var json: [UInt8] { Self.json(of: calls) }

    /// `{"calls":[...]}` of these calls, in order.
    /// - Parameter calls: the calls, oldest first.
    static func json(of calls: [Call]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + calls.count * 200)
        out.append(contentsOf: #"{"calls":["#.utf8)
        for (index, call) in calls.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            call.appendJSON(to: &out)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// Forgets every call.
    func clear() {
        state.withLock { $0.calls.removeAll() }
    }
}
