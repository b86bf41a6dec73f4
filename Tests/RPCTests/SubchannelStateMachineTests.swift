import HTTP2
import NIOCore
import Testing

@testable import RPC

/// The pool-driven connection's lifecycle, with time passed in: ready only on SETTINGS, backoff
/// after failures, a replacement at once after GOAWAY or a lost connection, and with an idle
/// timeout, closed and idle (not reconnected) after a whole timeout without calls.
@Suite struct SubchannelStateMachineTests {
    private static let backoff = Backoff(initial: .milliseconds(100), multiplier: 2, jitter: 0, maximum: .seconds(1))
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func readyOnlyOnSettings() {
        var machine = SubchannelStateMachine(backoff: Self.backoff)
        let connecting = machine.connect()
        #expect(connecting.connect)
        #expect(connecting.report == .connecting)
        #expect(machine.connect().connect == false, "a second connect() starts nothing")
        let connection = Connection(role: .client, delegate: nil)
        #expect(machine.channelConnected(connection).report == nil)
        #expect(machine.connectivity == .connecting, "TCP up is not ready")
        #expect(machine.readyConnection == nil)
        #expect(machine.settingsReceived(connection).report == .ready)
        #expect(machine.readyConnection === connection)
        #expect(machine.settingsReceived(connection).report == nil, "a later SETTINGS changes nothing")
    }

    @Test func backoffGrowsAndWaits() {
        var machine = SubchannelStateMachine(backoff: Self.backoff)
        _ = machine.connect()
        let first = machine.attemptFailed(now: self.start)
        #expect(first.report == .transientFailure)
        #expect(first.reconnectAfter == .milliseconds(100))
        #expect(machine.reconnectTimerFired(now: self.start + .milliseconds(50)).connect == false)
        let retry = machine.reconnectTimerFired(now: self.start + .milliseconds(100))
        #expect(retry.connect)
        let second = machine.attemptFailed(now: self.start + .milliseconds(200))
        #expect(second.reconnectAfter == .milliseconds(200))
        _ = machine.reconnectTimerFired(now: self.start + .milliseconds(400))
        let connection = Connection(role: .client, delegate: nil)
        _ = machine.channelConnected(connection)
        _ = machine.settingsReceived(connection)
        // A lost ready connection reconnects at once; only a failure after that backs off, from the start.
        #expect(machine.connectionClosed(connection, now: self.start + .seconds(1)).connect == true)
        #expect(machine.attemptFailed(now: self.start + .seconds(1)).reconnectAfter == .milliseconds(100))
    }

    @Test func goAwayDrainsAndReplaces() {
        var machine = SubchannelStateMachine(backoff: Self.backoff)
        _ = machine.connect()
        let old = Connection(role: .client, delegate: nil)
        _ = machine.channelConnected(old)
        _ = machine.settingsReceived(old)
        let drain = machine.goAwayReceived(old, now: self.start)
        #expect(drain.report == .draining)
        #expect(drain.connect)
        #expect(machine.readyConnection == nil)
        // The old connection closing later is not news.
        #expect(machine.connectionClosed(old, now: self.start).report == nil)
        let replacement = Connection(role: .client, delegate: nil)
        _ = machine.channelConnected(replacement)
        #expect(machine.connectivity == .draining)
        #expect(machine.settingsReceived(replacement).report == .ready)
    }

    @Test func settingsTimeoutClosesAndBacksOff() {
        var machine = SubchannelStateMachine(backoff: Self.backoff)
        _ = machine.connect()
        let connection = Connection(role: .client, delegate: nil)
        _ = machine.channelConnected(connection)
        let actions = machine.settingsTimedOut(connection, now: self.start)
        #expect(actions.close === connection)
        #expect(actions.report == .transientFailure)
        #expect(machine.settingsReceived(connection).report == nil, "a late SETTINGS on a closed attempt")
    }

    @Test func shutDownDrainsAndStays() {
        var machine = SubchannelStateMachine(backoff: Self.backoff)
        _ = machine.connect()
        let connection = Connection(role: .client, delegate: nil)
        _ = machine.channelConnected(connection)
        _ = machine.settingsReceived(connection)
        let actions = machine.shutDown()
        #expect(actions.drain === connection)
        #expect(actions.report == .shutdown)
        #expect(machine.connect().connect == false)
        #expect(machine.connectionClosed(connection, now: self.start).report == nil)
        let late = Connection(role: .client, delegate: nil)
        #expect(machine.channelConnected(late).close === late, "an attempt finishing after shutdown is closed")
    }

    /// A ready machine with an idle timeout of 1 s, and its connection.
    private func readyWithIdleTimeout() -> (SubchannelStateMachine, Connection) {
        var machine = SubchannelStateMachine(backoff: Self.backoff, idleTimeout: .seconds(1))
        _ = machine.connect()
        let connection = Connection(role: .client, delegate: nil)
        _ = machine.channelConnected(connection)
        let ready = machine.settingsReceived(connection)
        #expect(ready.checkIdleAfter == .seconds(1), "ready arms the idle check")
        return (machine, connection)
    }

    @Test func noCallForATimeoutClosesAndStaysIdle() {
        var (machine, connection) = self.readyWithIdleTimeout()
        let idle = machine.idleCheckFired()
        #expect(idle.report == .idle)
        #expect(idle.drain === connection, "closed gracefully")
        #expect(!idle.connect, "not reconnected")
        #expect(machine.readyConnection == nil)
        // The drained connection closing later is not a lost connection: no reconnection.
        let closed = machine.connectionClosed(connection, now: self.start)
        #expect(!closed.connect && closed.report == nil && closed.reconnectAfter == nil)
        #expect(machine.connectivity == .idle)
        #expect(machine.idleCheckFired().report == nil, "a late check changes nothing")
        // The next call asks for a connection.
        let again = machine.connect()
        #expect(again.connect && again.report == .connecting)
    }

    @Test func aCallInFlightOrSinceTheLastCheckKeepsTheConnection() {
        var (machine, connection) = self.readyWithIdleTimeout()
        machine.callStarted()
        // A call in flight, however long: kept, checked again a timeout later.
        for _ in 0..<3 {
            let check = machine.idleCheckFired()
            #expect(check.report == nil && check.drain == nil)
            #expect(check.checkIdleAfter == .seconds(1))
        }
        machine.callFinished()
        // It finished since the last check: not a whole timeout without calls yet.
        #expect(machine.idleCheckFired().drain == nil)
        #expect(machine.idleCheckFired().drain === connection, "a whole timeout with no call")

        // A call that started and finished between two checks counts as well.
        var (busy, busyConnection) = self.readyWithIdleTimeout()
        busy.callStarted()
        busy.callFinished()
        #expect(busy.idleCheckFired().drain == nil)
        #expect(busy.idleCheckFired().drain === busyConnection)
    }

    @Test func aLostConnectionStillReconnectsAtOnce() {
        var (machine, connection) = self.readyWithIdleTimeout()
        let lost = machine.connectionClosed(connection, now: self.start)
        #expect(lost.connect, "lost, not idle: a replacement at once")
        #expect(machine.idleCheckFired().report == nil, "no idle close while connecting")
    }

    @Test func withoutAnIdleTimeoutNothingIsChecked() {
        var machine = SubchannelStateMachine(backoff: Self.backoff)
        _ = machine.connect()
        let connection = Connection(role: .client, delegate: nil)
        _ = machine.channelConnected(connection)
        #expect(machine.settingsReceived(connection).checkIdleAfter == nil)
        #expect(machine.idleCheckFired().drain == nil)
        #expect(machine.readyConnection === connection)
    }
}
