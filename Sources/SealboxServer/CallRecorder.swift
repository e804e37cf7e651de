import Foundation
import SealboxCore
import SealboxCrypto

/// An ephemeral daemon's record of every call, in order, for test assertions (`GET /v1/test/calls`),
/// and of the secrets each process was served (`sealbox inspect`). Nothing here holds a value.
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
        var resources: [String]
        var principal: Principal
        var result: String
        var status: UInt
    }

    private struct State {
        var calls: [Call] = []
        var next = 1
        var served: [Int32: [ServedSecret]] = [:]
    }

    /// Calls kept; older ones are dropped first.
    static let capacity = 100_000
    /// Secrets remembered per process.
    static let servedPerProcess = 1_000

    private let state = Locked(State())
    private let clock: any WallClock

    /// - Parameter clock: the time source.
    public init(clock: any WallClock = SystemClock()) {
        self.clock = clock
    }

    func record(_ entry: AuditEntry, status: UInt) {
        let principal: Call.Principal =
            switch entry.context.principal {
            case .process(let pid, let uid, let gid, _): .init(kind: "process", pid: pid, uid: uid, gid: gid)
            case .accessKey(let id): .init(kind: "accessKey", accessKey: id)
            case .token: .init(kind: "token")
            case .anonymous: .init(kind: "anonymous")
            }
        let served = entry.trail.servedSecrets
        let now = clock.now()
        state.withLock { state in
            state.calls.append(
                Call(
                    sequence: state.next, time: now, operation: entry.context.action,
                    resources: entry.trail.touchedResources, principal: principal, result: entry.result,
                    status: status))
            state.next += 1
            if state.calls.count > Self.capacity { state.calls.removeFirst(state.calls.count - Self.capacity) }
            if case .process(let pid, _, _, _) = entry.context.principal, !served.isEmpty {
                var known = state.served[pid, default: []]
                for secret in served where !known.contains(secret) { known.append(secret) }
                state.served[pid] = Array(known.suffix(Self.servedPerProcess))
            }
        }
    }

    var calls: [Call] { state.withLock { $0.calls } }

    /// The secrets served to process `pid`.
    func served(to pid: Int32) -> [ServedSecret] { state.withLock { $0.served[pid] ?? [] } }

    /// Forgets every call and every served secret.
    func clear() {
        state.withLock { state in
            state.calls.removeAll()
            state.served.removeAll()
        }
    }
}
