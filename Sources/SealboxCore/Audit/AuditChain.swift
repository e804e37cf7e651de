import Foundation
import SealboxCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One hash chain of the audit log. Records are appended to a buffer and written together by
/// ``flush()``; a failed write rolls the chain back to its last written record, so the chain stays
/// unbroken for the records that follow.
public final class AuditChain: Sendable {
    private struct State {
        var sequence = 0
        var previous: [UInt8] = Array("start".utf8)
        var written = (sequence: 0, previous: Array("start".utf8))
        var pending: [UInt8] = []
    }

    private let id: [UInt8]
    private let sink: AuditSink
    private let state = Locked(State())

    init(id: String, sink: AuditSink) {
        self.id = Array(id.utf8)
        self.sink = sink
    }

    /// Adds one record to the buffer; it reaches the file with the next ``flush()``.
    /// - Parameters:
    ///   - context: the caller and the action.
    ///   - trail: what the request touched.
    ///   - result: `allowed`, `denied`, `failed:<code>`, or `intent` before a write runs.
    public func append(_ context: RequestContext, trail: AuditTrail, result: String) {
        let time = sink.clock.now()
        state.withLock { append(&$0, context, trail, result, time) }
    }

    /// Writes every buffered record with one `write(2)`.
    /// - Throws: if the records could not be written whole; each of their requests must then fail.
    public func flush() throws {
        try state.withLock { try flush(&$0) }
    }

    func record(_ context: RequestContext, trail: AuditTrail, result: String) throws {
        let time = sink.clock.now()
        try state.withLock { state in
            append(&state, context, trail, result, time)
            try flush(&state)
        }
    }

    private func flush(_ state: inout State) throws {
        guard !state.pending.isEmpty else { return }
        defer { state.pending.removeAll(keepingCapacity: true) }
        do {
            try sink.writeAll(state.pending)
            state.written = (state.sequence, state.previous)
        } catch {
            (state.sequence, state.previous) = state.written
            throw error
        }
    }

    private func append(
        _ state: inout State,
        _ context: RequestContext,
        _ trail: AuditTrail,
        _ result: String,
        _ time: Double
    ) {
        state.sequence += 1
        let start = state.pending.count
        var out = state.pending
        state.pending = []
        out.append(literal: #"{"chain":""#)
        out.append(contentsOf: id)
        out.append(literal: #"","seq":"#)
        out.appendDecimal(UInt64(state.sequence))
        out.append(literal: #","time":"#)
        Self.appendTime(time, to: &out)
        out.append(literal: #","principal":"#)
        Self.principal(context.principal, into: &out)
        out.append(literal: #","action":"#)
        JSONText.appendQuoted(context.action.name, to: &out)
        out.append(literal: #","resources":["#)
        for (index, resource) in trail.resources.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(resource, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        if let lease = trail.leaseID {
            out.append(literal: #","leaseId":"#)
            JSONText.appendQuoted(lease, to: &out)
        }
        if let requestID = trail.requestID {
            out.append(literal: #","requestId":"#)
            JSONText.appendQuoted(requestID, to: &out)
        }
        out.append(literal: #","result":"#)
        JSONText.appendQuoted(result, to: &out)
        out.append(literal: #","prev":""#)
        out.append(contentsOf: state.previous)
        out.append(UInt8(ascii: "\""))
        // The MAC goes from the stack into the line as hex, and the line's digits become the next
        // record's `prev`: no array for either, on every audited request.
        var macStart = 0
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { mac in
            out.withUnsafeBytes { sink.mac.mac(UnsafeRawBufferPointer(rebasing: $0[start...]), into: mac) }
            out.append(literal: #","mac":""#)
            macStart = out.count
            out.append(contentsOf: repeatElement(0, count: 64))
            _ = out.withUnsafeMutableBufferPointer {
                Hex.write(UnsafeRawBufferPointer(mac), into: UnsafeMutableBufferPointer(rebasing: $0[macStart...]))
            }
        }
        state.previous.replaceSubrange(state.previous.indices, with: out[macStart...])
        out.append(literal: "\"}\n")
        state.pending = out
    }

    /// Seconds since the epoch to the microsecond, as digits written straight into the record:
    /// `"\(time)"` would run the shortest-digits float printer and make a String on every record.
    static func appendTime(_ time: Double, to out: inout [UInt8]) {
        let micros = (time * 1_000_000).rounded()
        guard micros >= 0, micros < 1e18 else { return out.append(contentsOf: "\(time)".utf8) }
        let value = UInt64(micros)
        out.appendDecimal(value / 1_000_000)
        out.append(UInt8(ascii: "."))
        let fraction = value % 1_000_000
        var scale: UInt64 = 100_000
        while scale > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / scale % 10))
            scale /= 10
        }
    }

    private static func principal(_ principal: RequestContext.Principal, into out: inout [UInt8]) {
        switch principal {
        case .process(let pid, let uid, let gid, _):
            out.append(literal: #"{"uid":"#)
            out.appendDecimal(UInt64(uid))
            out.append(literal: #","gid":"#)
            out.appendDecimal(UInt64(gid))
            out.append(literal: #","pid":"#)
            if pid < 0 { out.append(UInt8(ascii: "-")) }
            out.appendDecimal(UInt64(pid.magnitude))
            out.append(UInt8(ascii: "}"))
        case .accessKey(let id):
            out.append(literal: #"{"accessKey":"#)
            JSONText.appendQuoted(id, to: &out)
            out.append(UInt8(ascii: "}"))
        case .token: out.append(literal: #"{"token":true}"#)
        case .anonymous: out.append(literal: #"{"anonymous":true}"#)
        }
    }
}
