import NIOCore
import NIOHTTP1
import SealboxCore
import Testing

@testable import SealboxServer

@Suite struct HTTPConnectionStateMachineTests {
    private typealias Machine = HTTPConnectionStateMachine

    private static let limits: ServerLimits = {
        var limits = ServerLimits()
        limits.maxBodyBytes = 8
        limits.requestTimeoutSeconds = 2
        limits.idleTimeoutSeconds = 5
        return limits
    }()

    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func machine(overCapacity: Bool = false) -> Machine {
        var machine = Machine(limits: Self.limits)
        machine.channelActive(overCapacity: overCapacity, now: start)
        return machine
    }

    private func head(
        _ method: HTTPMethod = .GET, _ uri: String = "/", headers: HTTPHeaders = [:], close: Bool = false
    ) -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        if close { head.headers.add(name: "Connection", value: "close") }
        return head
    }

    private func state(_ machine: Machine) -> String {
        switch machine.state {
        case .idle: "idle"
        case .receivingBody: "receivingBody"
        case .answering(let keepAlive): "answering(\(keepAlive))"
        case .awaitingAudit: "awaitingAudit"
        case .writing: "writing"
        case .closing(let answering): "closing(\(answering))"
        }
    }

    private func describe(_ action: Machine.Action) -> String {
        switch action {
        case .wait: "wait"
        case .respond(let head, let body): "respond(\(head.uri), \(String(buffer: body)))"
        case .write(let response, let keepAlive): "write(\(response.status.code), \(keepAlive))"
        case .refuse(.methodNotAllowed): "refuse(405)"
        case .refuse(.tooManyConnections): "refuse(429)"
        case .refuse(.payloadTooLarge): "refuse(413)"
        case .refuse(.requestTimeout): "refuse(408)"
        case .refuse(.badRequest): "refuse(400)"
        case .drain: "drain"
        case .close: "close"
        }
    }

    /// A machine answering a request to `uri`.
    private func answering(_ uri: String = "/a", close: Bool = false) -> Machine {
        var machine = machine()
        _ = machine.head(head(.GET, uri, close: close), now: start)
        _ = machine.end()
        return machine
    }

    @Test func activeConnectionStartsIdleUnderTheIdleDeadline() {
        let machine = machine()
        #expect(state(machine) == "idle")
        #expect(machine.expiry == start + .seconds(5))
    }

    @Test func requestIsCollectedThenHandedToTheResponder() {
        var machine = machine()
        #expect(describe(machine.head(head(.POST, "/p"), now: start + .seconds(1))) == "wait")
        #expect(state(machine) == "receivingBody")
        #expect(machine.expiry == start + .seconds(3))
        #expect(describe(machine.body(ByteBuffer(string: "abc"))) == "wait")
        #expect(describe(machine.body(ByteBuffer(string: "de"))) == "wait")
        #expect(describe(machine.end()) == "respond(/p, abcde)")
        #expect(state(machine) == "answering(true)")
        #expect(machine.expiry == nil)
    }

    @Test func answerWrittenReturnsToIdleAndDrains() {
        var machine = answering()
        machine.answerSent(keepAlive: true)
        #expect(state(machine) == "writing")
        let action = machine.writeCompleted(keepAlive: true, channelActive: true, now: start + .seconds(1))
        #expect(describe(action) == "drain")
        #expect(state(machine) == "idle")
        #expect(machine.expiry == start + .seconds(6))
    }

    @Test func closingAnswerClosesOnceWritten() {
        var machine = answering(close: true)
        #expect(state(machine) == "answering(false)")
        machine.answerSent(keepAlive: false)
        #expect(state(machine) == "closing(true)")
        #expect(describe(machine.writeCompleted(keepAlive: false, channelActive: true, now: start)) == "close")
    }

    @Test func completionOnAClosedChannelGoesNoFurther() {
        var machine = answering()
        machine.answerSent(keepAlive: true)
        #expect(describe(machine.writeCompleted(keepAlive: true, channelActive: false, now: start)) == "wait")
        #expect(machine.expiry == nil)
    }

    @Test func partsQueueWhileAnAnswerIsPendingAndReadsAreHeldOnlyThen() {
        var machine = answering()
        // An answer is pending but nothing is queued: reads go on.
        let readWhileAnswering = machine.readRequested()
        #expect(readWhileAnswering)
        #expect(machine.admit(.head(head(.GET, "/b"))) == .queued)
        #expect(machine.admit(.end(nil)) == .queued)
        let readWhileQueued = machine.readRequested()
        #expect(!readWhileQueued)
        #expect(machine.nextQueuedPart() == nil)
        machine.answerSent(keepAlive: true)
        #expect(describe(machine.writeCompleted(keepAlive: true, channelActive: true, now: start)) == "drain")
        guard case .head(let next)? = machine.nextQueuedPart() else {
            Issue.record("the queued head is not next")
            return
        }
        #expect(next.uri == "/b")
        let releasedEarly = machine.releaseHeldRead()
        #expect(!releasedEarly)
        #expect(describe(machine.head(next, now: start)) == "wait")
        guard case .end? = machine.nextQueuedPart() else {
            Issue.record("the queued end is not next")
            return
        }
        #expect(describe(machine.end()) == "respond(/b, )")
        // Answering again: the queue is empty, and the held read goes out once.
        #expect(machine.nextQueuedPart() == nil)
        let released = machine.releaseHeldRead()
        #expect(released)
        let releasedAgain = machine.releaseHeldRead()
        #expect(!releasedAgain)
    }

    @Test func partsBehindQueuedOnesQueueToo() {
        var machine = answering()
        #expect(machine.admit(.head(head())) == .queued)
        machine.answerSent(keepAlive: true)
        _ = machine.writeCompleted(keepAlive: true, channelActive: true, now: start)
        // Idle, but an earlier part still waits: this one must not overtake it.
        #expect(machine.admit(.end(nil)) == .queued)
    }

    @Test func declaredOversizeBodyIsRefusedAtTheHead() {
        var machine = machine()
        let action = machine.head(head(.POST, headers: ["Content-Length": "9"]), now: start)
        #expect(describe(action) == "refuse(413)")
        #expect(state(machine) == "closing(false)")
        #expect(machine.admit(.body(ByteBuffer(string: "123456789"))) == .dropped)
    }

    @Test func bodyAtTheLimitIsAccepted() {
        var machine = machine()
        #expect(describe(machine.head(head(.POST, headers: ["Content-Length": "8"]), now: start)) == "wait")
        #expect(describe(machine.body(ByteBuffer(string: "12345678"))) == "wait")
        #expect(describe(machine.end()) == "respond(/, 12345678)")
    }

    @Test func chunkedBodyOverTheLimitIsRefused() {
        var machine = machine()
        _ = machine.head(head(.POST, headers: ["Transfer-Encoding": "chunked"]), now: start)
        #expect(describe(machine.body(ByteBuffer(string: "12345"))) == "wait")
        #expect(describe(machine.body(ByteBuffer(string: "6789"))) == "refuse(413)")
        #expect(state(machine) == "closing(false)")
        #expect(machine.expiry == nil)
    }

    @Test func connectIsRefused() {
        var machine = machine()
        #expect(describe(machine.head(head(.CONNECT, "h:443"), now: start)) == "refuse(405)")
        #expect(machine.method == .CONNECT)
        #expect(state(machine) == "closing(false)")
    }

    @Test func connectionOverTheCapRefusesItsFirstRequest() {
        var machine = machine(overCapacity: true)
        #expect(describe(machine.head(head(), now: start)) == "refuse(429)")
        #expect(state(machine) == "closing(false)")
    }

    @Test func stalledBodyTimesOutWith408() {
        var machine = machine()
        _ = machine.head(head(.POST, headers: ["Content-Length": "4"]), now: start)
        _ = machine.body(ByteBuffer(string: "ab"))
        #expect(describe(machine.timerFired(now: start + .milliseconds(1999))) == "wait")
        #expect(describe(machine.timerFired(now: start + .seconds(2))) == "refuse(408)")
        #expect(state(machine) == "closing(false)")
        #expect(machine.expiry == nil)
    }

    @Test func idleConnectionTimesOutWithAClose() {
        var machine = machine()
        #expect(describe(machine.timerFired(now: start + .seconds(4))) == "wait")
        #expect(describe(machine.timerFired(now: start + .seconds(5))) == "close")
        #expect(machine.expiry == nil)
    }

    @Test func noDeadlineRunsWhileAnAnswerIsMade() {
        var machine = answering()
        #expect(describe(machine.timerFired(now: start + .seconds(3600))) == "wait")
    }

    @Test func answerWaitsForItsAuditRecord() {
        var written = answering()
        written.awaitAudit(.error(.ok, code: "ok", message: "answer"), refusal: .init(), keepAlive: true)
        #expect(state(written) == "awaitingAudit")
        #expect(written.admit(.head(head())) == .queued)
        #expect(describe(written.auditDone(written: true)) == "write(200, true)")
        #expect(state(written) == "answering(true)")
        // A second call finds nothing waiting.
        #expect(describe(written.auditDone(written: true)) == "wait")

        var failed = answering()
        failed.awaitAudit(.error(.ok, code: "ok", message: "answer"), refusal: .init(), keepAlive: true)
        #expect(describe(failed.auditDone(written: false)) == "write(503, true)")

        // A write whose intent is recorded answers even when its outcome record fails.
        var intended = answering()
        intended.awaitAudit(.error(.ok, code: "ok", message: "answer"), refusal: nil, keepAlive: true)
        #expect(describe(intended.auditDone(written: false)) == "write(200, true)")
    }

    @Test func parseErrorGets400UnlessAnAnswerIsOnItsWay() {
        var idle = machine()
        #expect(describe(idle.parseError()) == "refuse(400)")
        #expect(state(idle) == "closing(true)")
        #expect(describe(idle.parseError()) == "close")

        var busy = answering()
        #expect(describe(busy.parseError()) == "close")
        #expect(state(busy) == "answering(true)")
    }

    @Test func closedChannelDropsTheQueueAndTheDeadline() {
        var machine = answering()
        _ = machine.admit(.head(head()))
        #expect(machine.hasQueuedParts)
        machine.channelInactive()
        #expect(!machine.hasQueuedParts)
        #expect(machine.expiry == nil)
        let readAfterClose = machine.readRequested()
        #expect(readAfterClose)
    }

    @Test func unexpectedPartsAreIgnored() {
        var machine = machine()
        #expect(describe(machine.body(ByteBuffer(string: "x"))) == "wait")
        #expect(describe(machine.end()) == "wait")
        #expect(describe(machine.auditDone(written: true)) == "wait")
        #expect(state(machine) == "idle")
        #expect(machine.expiry == start + .seconds(5))
    }
}
