import NIOCore
import NIOHTTP1
import SealboxCore
import Testing

@testable import SealboxServer

/// The TCP connection's deadline to get a request through authentication (`preAuthTimeoutSeconds`).
@Suite struct AuthenticationDeadlineTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func machine() -> HTTPConnectionStateMachine {
        var limits = ServerLimits()
        limits.idleTimeoutSeconds = 60
        var machine = HTTPConnectionStateMachine(limits: limits)
        machine.channelActive(overCapacity: false, now: start, authenticateWithin: .seconds(5))
        return machine
    }

    private func isClose(_ action: HTTPConnectionStateMachine.Action) -> Bool {
        if case .close = action { return true }
        return false
    }

    @Test func anIdleConnectionIsClosedAtTheDeadlineNotTheIdleTimeout() {
        var machine = machine()
        #expect(!isClose(machine.timerFired(now: start + .seconds(4))))
        #expect(isClose(machine.timerFired(now: start + .seconds(5))))
    }

    @Test func aBodyStillArrivingAtTheDeadlineGets408() {
        var machine = machine()
        _ = machine.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/"), now: start + .seconds(1))
        guard case .refuse(.requestTimeout) = machine.timerFired(now: start + .seconds(5)) else {
            Issue.record("no 408 at the authentication deadline mid-body")
            return
        }
    }

    @Test func anAnswerInProgressIsNotCutShortButTheConnectionClosesAfterIt() {
        var machine = machine()
        _ = machine.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/health"), now: start)
        _ = machine.end()
        #expect(!isClose(machine.timerFired(now: start + .seconds(6))))
        machine.answerSent(keepAlive: true)
        _ = machine.writeCompleted(keepAlive: true, channelActive: true, now: start + .seconds(6))
        #expect(isClose(machine.timerFired(now: start + .seconds(7))))
    }

    @Test func anAuthenticatedConnectionKeepsOnlyTheIdleDeadline() {
        var machine = machine()
        machine.authenticated()
        #expect(!isClose(machine.timerFired(now: start + .seconds(30))))
        #expect(isClose(machine.timerFired(now: start + .seconds(60))))
    }
}
