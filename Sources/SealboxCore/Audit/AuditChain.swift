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
    struct State {
        var sequence = 0
        var previous: [UInt8] = Array("start".utf8)
        var written = (sequence: 0, previous: Array("start".utf8))
        var pending: [UInt8] = []
        /// Set by the run's final checkpoint: a record after it would not be covered, so none is written.
        var closed = false
    }

    let id: [UInt8]
    private let sink: AuditSink
    private let state = Locked(State())
    /// The run's own chain writes the header that every other chain waits for.
    private let waitsForHeader: Bool

    init(id: String, sink: AuditSink, waitsForHeader: Bool = true) {
        self.id = Array(id.utf8)
        self.sink = sink
        self.waitsForHeader = waitsForHeader
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

    /// Appends a record whose members (after `time`, before `prev`) are given whole, and writes it.
    /// - Parameter members: JSON members, without the commas around them.
    func record(members: [UInt8]) throws {
        let time = sink.clock.now()
        try state.withLock { state in
            append(&state, members: members, time)
            try flush(&state)
        }
    }

    /// Adds a record made of `members` to the buffer.
    private func append(_ state: inout State, members: [UInt8], _ time: Double) {
        var out = state.pending
        state.pending = []
        let start = out.count
        Self.open(&out, id, &state, time)
        out.append(contentsOf: members)
        Self.close(&out, start, &state, sink.mac)
        state.pending = out
    }

    /// Appends the one record that stands for `count` denials of one caller not written one by one:
    /// the last one's principal and action, no resources, `"result":"denied"` and `"suppressed"`.
    /// It reaches the file with the next ``flush()``.
    /// - Parameters:
    ///   - context: the last suppressed denial's caller and action.
    ///   - count: how many denials it stands for.
    public func appendSuppressedDenials(_ context: RequestContext, count: Int) {
        var members: [UInt8] = []
        members.append(literal: #""principal":"#)
        Self.principal(context.principal, into: &members)
        members.append(literal: #","action":"#)
        JSONText.appendQuoted(context.action.name, to: &members)
        members.append(literal: #","resources":[],"result":"denied","suppressed":"#)
        members.appendDecimal(UInt64(max(count, 0)))
        let time = sink.clock.now()
        state.withLock { append(&$0, members: members, time) }
    }

    /// Runs `body` with the chain locked on its last written record: nothing is written to the chain
    /// meanwhile, so a checkpoint written inside `body` follows exactly the records up to that head.
    /// - Parameter body: gets the written head's sequence number and MAC (hex), and may close the chain.
    func withWrittenHead<R>(_ body: (_ sequence: Int, _ mac: [UInt8], _ closed: inout Bool) throws -> R) throws -> R {
        try state.withLock { state in try body(state.written.sequence, state.written.previous, &state.closed) }
    }

    private func flush(_ state: inout State) throws {
        guard !state.pending.isEmpty else { return }
        defer { state.pending.removeAll(keepingCapacity: true) }
        do {
            if state.closed { throw AuditWriteError(reason: "the audit log was closed by its final checkpoint") }
            if waitsForHeader, !sink.ready.load(ordering: .relaxed) {
                throw AuditWriteError(reason: "the run header of the audit log could not be written")
            }
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
        var out = state.pending
        state.pending = []
        let start = out.count
        Self.open(&out, id, &state, time)
        out.append(literal: #""principal":"#)
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
        Self.close(&out, start, &state, sink.mac)
        state.pending = out
    }

    /// `{"chain":"<id>","seq":<n>,"time":<t>,` for the chain's next record.
    @inline(__always)
    private static func open(_ out: inout [UInt8], _ id: [UInt8], _ state: inout State, _ time: Double) {
        state.sequence += 1
        out.append(literal: #"{"chain":""#)
        out.append(contentsOf: id)
        out.append(literal: #"","seq":"#)
        out.appendDecimal(UInt64(state.sequence))
        out.append(literal: #","time":"#)
        Self.appendTime(time, to: &out)
        out.append(UInt8(ascii: ","))
    }

    /// `,"prev":"<hex>","mac":"<hex>"}` and the newline: the MAC covers the record from `start`.
    @inline(__always)
    private static func close(_ out: inout [UInt8], _ start: Int, _ state: inout State, _ key: HMACKey) {
        out.append(literal: #","prev":""#)
        out.append(contentsOf: state.previous)
        out.append(UInt8(ascii: "\""))
        // The MAC goes from the stack into the line as hex, and the line's digits become the next
        // record's `prev`: no array for either, on every audited request.
        var macStart = 0
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { mac in
            out.withUnsafeBytes { key.mac(UnsafeRawBufferPointer(rebasing: $0[start...]), into: mac) }
            out.append(literal: #","mac":""#)
            macStart = out.count
            out.append(contentsOf: repeatElement(0, count: 64))
            _ = out.withUnsafeMutableBufferPointer {
                Hex.write(UnsafeRawBufferPointer(mac), into: UnsafeMutableBufferPointer(rebasing: $0[macStart...]))
            }
        }
        state.previous.replaceSubrange(state.previous.indices, with: out[macStart...])
        out.append(literal: "\"}\n")
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

    static func principal(_ principal: RequestContext.Principal, into out: inout [UInt8]) {
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
        case .daemon: out.append(literal: #"{"daemon":true}"#)
        }
    }
}
