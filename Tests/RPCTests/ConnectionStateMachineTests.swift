import HTTP2
import NIOCore
import Testing

@testable import RPC

/// `ClientConnection`'s lifecycle, with time passed in: the first call connects and later ones
/// wait, a failed attempt fails the calls fast until its backoff ends, a connection that ends
/// is replaced by the next call, and nothing starts after shutdown.
@Suite struct ConnectionStateMachineTests {
    private static let backoff = Backoff(initial: .milliseconds(100), multiplier: 2, jitter: 0, maximum: .seconds(1))
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func isWaitAndConnect(_ action: ConnectionStateMachine.CallAction) -> Bool {
        if case .waitAndConnect = action { true } else { false }
    }

    private func isWait(_ action: ConnectionStateMachine.CallAction) -> Bool {
        if case .wait = action { true } else { false }
    }

    private func failure(_ action: ConnectionStateMachine.CallAction) -> RPCError? {
        if case .fail(let error) = action { error } else { nil }
    }

    @Test func theFirstCallConnectsAndTheOthersWait() throws {
        var machine = ConnectionStateMachine(backoff: Self.backoff)
        #expect(self.isWaitAndConnect(machine.callRequested(now: self.start)))
        #expect(self.isWait(machine.callRequested(now: self.start)), "one attempt at a time")
        let pair = try EmbeddedPair()
        let connection = pair.clientConnection
        let isReady = machine.connected(connection)
        #expect(isReady)
        guard case .start(let chosen) = machine.callRequested(now: self.start) else {
            Issue.record("a ready connection starts calls")
            return
        }
        #expect(chosen === connection)
    }

    /// A ready connection that no longer takes streams (closed, or past a GOAWAY) is replaced.
    @Test func aConnectionNotTakingStreamsIsReplaced() {
        var machine = ConnectionStateMachine(backoff: Self.backoff)
        _ = machine.callRequested(now: self.start)
        let isReady = machine.connected(Connection(role: .client, delegate: nil))
        #expect(isReady)
        #expect(self.isWaitAndConnect(machine.callRequested(now: self.start)))
    }

    @Test func aFailedAttemptFailsCallsFastUntilItsBackoffEnds() {
        var machine = ConnectionStateMachine(backoff: Self.backoff)
        _ = machine.callRequested(now: self.start)
        let error = machine.connectFailed(RPCError(code: .unavailable, message: "refused"), now: self.start)
        #expect(error.code == .unavailable)
        #expect(self.failure(machine.callRequested(now: self.start + .milliseconds(99)))?.code == .unavailable)
        #expect(self.isWaitAndConnect(machine.callRequested(now: self.start + .milliseconds(100))))
        // The second failure in a row waits twice as long.
        _ = machine.connectFailed(RPCError(code: .unavailable, message: "refused"), now: self.start + .seconds(1))
        #expect(self.failure(machine.callRequested(now: self.start + .milliseconds(1199))) != nil)
        #expect(self.isWaitAndConnect(machine.callRequested(now: self.start + .milliseconds(1200))))
        // A success forgets the failures: the next failure waits the initial backoff again.
        let connection = Connection(role: .client, delegate: nil)
        let isReady = machine.connected(connection)
        #expect(isReady)
        machine.connectionEnded(connection)
        let later = self.start + .seconds(5)
        #expect(self.isWaitAndConnect(machine.callRequested(now: later)))
        _ = machine.connectFailed(RPCError(code: .unavailable, message: "refused"), now: later)
        #expect(self.failure(machine.callRequested(now: later + .milliseconds(99))) != nil)
        #expect(self.isWaitAndConnect(machine.callRequested(now: later + .milliseconds(100))))
    }

    @Test func onlyTheCurrentConnectionEndingMatters() throws {
        var machine = ConnectionStateMachine(backoff: Self.backoff)
        _ = machine.callRequested(now: self.start)
        let pair = try EmbeddedPair()
        let current = pair.clientConnection
        let isReady = machine.connected(current)
        #expect(isReady)
        machine.connectionEnded(Connection(role: .client, delegate: nil))
        guard case .start(let chosen) = machine.callRequested(now: self.start) else {
            Issue.record("another connection ending changed the state")
            return
        }
        #expect(chosen === current)
        machine.connectionEnded(current)
        #expect(self.isWaitAndConnect(machine.callRequested(now: self.start)), "the next call connects anew")
    }

    @Test func nothingStartsAfterShutdown() {
        var machine = ConnectionStateMachine(backoff: Self.backoff)
        _ = machine.callRequested(now: self.start)
        let connection = Connection(role: .client, delegate: nil)
        let isReady = machine.connected(connection)
        #expect(isReady)
        let handedBack = machine.shutDown()
        #expect(handedBack === connection, "the ready connection is handed back to be closed")
        #expect(self.failure(machine.callRequested(now: self.start))?.code == .unavailable)
        let late = machine.connected(Connection(role: .client, delegate: nil))
        #expect(!late, "a late attempt is not taken")
        let again = machine.shutDown()
        #expect(again == nil)
    }
}
