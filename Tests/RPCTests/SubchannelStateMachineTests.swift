import HTTP2
import NIOCore
import Testing

@testable import RPC

/// The pool-driven connection's lifecycle, with time passed in: ready only on SETTINGS, backoff
/// after failures, a replacement at once after GOAWAY or a lost connection.
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
}
