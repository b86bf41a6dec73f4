import HTTP2
import NIOCore

/// The lifecycle of a client's connection to one address (gRPC's connectivity states):
/// idle -> connecting -> ready, with backoff after failures. Transitions return what to do.
struct ConnectionStateMachine {
    enum State {
        case idle
        case connecting
        case ready(Connection)
        /// The last attempt failed; calls fail fast until `until`, then the next call reconnects.
        case backingOff(until: NIODeadline, error: RPCError)
        case shutdown
    }

    enum CallAction {
        /// Start the call on this connection.
        case start(Connection)
        /// Wait for the connection being set up.
        case wait
        /// Wait, and start connecting.
        case waitAndConnect
        case fail(RPCError)
    }

    private(set) var state = State.idle
    private var failedAttempts = 0
    let backoff: Backoff

    init(backoff: Backoff) { self.backoff = backoff }

    mutating func callRequested(now: NIODeadline) -> CallAction {
        switch self.state {
        case .ready(let connection) where connection.isAcceptingStreams:
            return .start(connection)
        case .ready, .idle:
            self.state = .connecting
            return .waitAndConnect
        case .connecting:
            return .wait
        case .backingOff(let until, let error):
            guard now >= until else { return .fail(error) }
            self.state = .connecting
            return .waitAndConnect
        case .shutdown:
            return .fail(RPCError(code: .unavailable, message: "the client is shut down"))
        }
    }

    /// The socket connected and HTTP/2 is set up.
    mutating func connected(_ connection: Connection) -> Bool {
        guard case .connecting = self.state else { return false }
        self.failedAttempts = 0
        self.state = .ready(connection)
        return true
    }

    /// The attempt failed: back off. Returns the error for the calls that waited.
    mutating func connectFailed(_ cause: any Error, now: NIODeadline) -> RPCError {
        self.failedAttempts += 1
        let delay = self.backoff.delay(afterFailures: self.failedAttempts)
        let error = RPCError(code: .unavailable, message: "could not connect", cause: cause)
        if case .connecting = self.state { self.state = .backingOff(until: now + TimeAmount(delay), error: error) }
        return error
    }

    /// The connection closed or said GOAWAY: the next call connects anew.
    mutating func connectionEnded(_ connection: Connection) {
        if case .ready(let current) = self.state, current === connection { self.state = .idle }
    }

    mutating func shutDown() -> Connection? {
        defer { self.state = .shutdown }
        if case .ready(let connection) = self.state { return connection }
        return nil
    }
}

/// Exponential backoff with jitter between connection attempts (gRPC's connection-backoff).
package struct Backoff: Sendable {
    package var initial: Duration = .seconds(1)
    package var multiplier: Double = 1.6
    package var jitter: Double = 0.2
    package var maximum: Duration = .seconds(120)

    package init() {}

    package init(initial: Duration, multiplier: Double = 1.6, jitter: Double = 0.2, maximum: Duration) {
        self.initial = initial
        self.multiplier = multiplier
        self.jitter = jitter
        self.maximum = maximum
    }

    /// The wait after `failures` consecutive failures (1 or more).
    func delay(afterFailures failures: Int) -> Duration {
        let base = Double(Timeout.nanoseconds(self.initial)) * pow(self.multiplier, Double(max(0, failures - 1)))
        let capped = min(base, Double(Timeout.nanoseconds(self.maximum)))
        let jittered = capped * (1 + Double.random(in: -self.jitter...self.jitter))
        return .nanoseconds(Int64(max(0, jittered)))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
