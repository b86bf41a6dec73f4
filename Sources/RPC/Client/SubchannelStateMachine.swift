import HTTP2
import NIOCore

/// What a pool sees of a `Subchannel` (gRPC's connectivity states).
package enum ConnectivityState: Sendable, Hashable, CustomStringConvertible {
    /// Not connected, and not trying.
    case idle
    /// TCP and HTTP/2 being set up; not ready until the server's SETTINGS arrive.
    case connecting
    /// The server's SETTINGS arrived: calls may start, up to its MAX_CONCURRENT_STREAMS.
    case ready
    /// The server said GOAWAY: calls in flight finish there, a replacement connection is on its way.
    case draining
    /// The last attempt failed; the next one starts after a jittered backoff.
    case transientFailure
    case shutdown

    package var description: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .ready: "ready"
        case .draining: "draining"
        case .transientFailure: "transient_failure"
        case .shutdown: "shutdown"
        }
    }
}

/// The lifecycle of a pool-driven connection to one resolved address. Once asked to connect it
/// stays connected: after a failure it retries with backoff, after GOAWAY or a lost connection
/// it connects a replacement at once. With an idle timeout, a ready connection that carried no
/// call for that long is closed and the machine goes idle until asked to connect again (by the
/// next call). Transitions return what to do; time is passed in.
struct SubchannelStateMachine {
    enum State {
        case idle
        /// Connecting; `draining` while a connection that said GOAWAY still finishes its calls.
        case connecting(failures: Int, draining: Bool)
        /// TCP is up, HTTP/2 set up; waiting for the server's first SETTINGS.
        case awaitingSettings(Connection, failures: Int, draining: Bool)
        case ready(Connection)
        case transientFailure(failures: Int, retryAt: NIODeadline)
        case shutdown
    }

    struct Actions {
        /// The state to report, when it changed.
        var report: ConnectivityState?
        /// Start a connection attempt.
        var connect = false
        /// Try again after this delay.
        var reconnectAfter: Duration?
        /// Close this channel (an attempt that finished after shutdown or timed out).
        var close: Connection?
        /// Close this connection gracefully (GOAWAY, calls in flight finish).
        var drain: Connection?
        /// Call `idleCheckFired()` after this delay.
        var checkIdleAfter: Duration?

        static var none: Self { Self() }
    }

    private(set) var state = State.idle
    let backoff: Backoff
    /// A ready connection with no call for this long is closed (nil: never).
    let idleTimeout: Duration?
    /// Calls in flight that keep the connection busy. Health checks are not counted: they
    /// would keep a connection nobody uses open forever.
    private(set) var activeCalls = 0
    /// A counted call started or finished since the last idle check.
    private var activeSinceIdleCheck = false

    init(backoff: Backoff, idleTimeout: Duration? = nil) {
        self.backoff = backoff
        self.idleTimeout = idleTimeout
    }

    /// The connection calls may start on.
    var readyConnection: Connection? {
        if case .ready(let connection) = self.state { return connection }
        return nil
    }

    var connectivity: ConnectivityState {
        switch self.state {
        case .idle: .idle
        case .connecting(_, let draining), .awaitingSettings(_, _, let draining): draining ? .draining : .connecting
        case .ready: .ready
        case .transientFailure: .transientFailure
        case .shutdown: .shutdown
        }
    }

    /// Connect now (eager): from idle only; a backoff in progress is kept.
    mutating func connect() -> Actions {
        guard case .idle = self.state else { return .none }
        return self.startAttempt(failures: 0, draining: false)
    }

    /// The backoff delay passed.
    mutating func reconnectTimerFired(now: NIODeadline) -> Actions {
        guard case .transientFailure(let failures, let retryAt) = self.state, now >= retryAt else { return .none }
        return self.startAttempt(failures: failures, draining: false)
    }

    /// TCP connected and the HTTP/2 handler is in place.
    mutating func channelConnected(_ connection: Connection) -> Actions {
        guard case .connecting(let failures, let draining) = self.state else {
            return Actions(close: connection)
        }
        self.state = .awaitingSettings(connection, failures: failures, draining: draining)
        return .none
    }

    /// The server's SETTINGS arrived on `connection`.
    mutating func settingsReceived(_ connection: Connection) -> Actions {
        guard case .awaitingSettings(let current, _, _) = self.state, current === connection else { return .none }
        self.state = .ready(connection)
        self.activeSinceIdleCheck = false
        return Actions(report: .ready, checkIdleAfter: self.idleTimeout)
    }

    /// A call that keeps the connection busy started (on any of its connections).
    mutating func callStarted() {
        self.activeCalls += 1
        self.activeSinceIdleCheck = true
    }

    /// A call counted by `callStarted()` finished.
    mutating func callFinished() {
        self.activeCalls -= 1
        self.activeSinceIdleCheck = true
    }

    /// The idle check, every `idleTimeout` while ready. A connection with no call in flight, and
    /// none started or finished since the previous check, carried no call for a whole timeout
    /// (it closes between one and two timeouts after its last call): it is closed gracefully
    /// and the machine goes idle, to connect again when asked (`connect()`), not at once.
    mutating func idleCheckFired() -> Actions {
        guard case .ready(let connection) = self.state, let idleTimeout = self.idleTimeout else { return .none }
        guard self.activeCalls == 0, !self.activeSinceIdleCheck else {
            self.activeSinceIdleCheck = false
            return Actions(checkIdleAfter: idleTimeout)
        }
        self.state = .idle
        return Actions(report: .idle, drain: connection)
    }

    /// The attempt failed (refused, timed out, or closed before SETTINGS).
    mutating func attemptFailed(now: NIODeadline) -> Actions {
        let failures: Int
        switch self.state {
        case .connecting(let count, _), .awaitingSettings(_, let count, _): failures = count + 1
        default: return .none
        }
        let delay = self.backoff.delay(afterFailures: failures)
        self.state = .transientFailure(failures: failures, retryAt: now + TimeAmount(delay))
        return Actions(report: .transientFailure, reconnectAfter: delay)
    }

    /// The server said GOAWAY on `connection`: replace it; its calls in flight finish there.
    mutating func goAwayReceived(_ connection: Connection, now: NIODeadline) -> Actions {
        switch self.state {
        case .ready(let current) where current === connection:
            return self.startAttempt(failures: 0, draining: true)
        case .awaitingSettings(let current, let failures, _) where current === connection:
            // Not ready yet and already going away: count it as a failed attempt.
            self.state = .connecting(failures: failures, draining: false)
            return self.attemptFailed(now: now)
        default:
            return .none
        }
    }

    /// `connection`'s channel closed. (One closed for idleness is no longer current: the machine
    /// is idle already and stays so.)
    mutating func connectionClosed(_ connection: Connection, now: NIODeadline) -> Actions {
        switch self.state {
        case .ready(let current) where current === connection:
            // A lost connection: one immediate attempt, backoff only if that fails.
            return self.startAttempt(failures: 0, draining: false)
        case .awaitingSettings(let current, _, _) where current === connection:
            return self.attemptFailed(now: now)
        default:
            return .none
        }
    }

    /// The server's SETTINGS did not arrive in time.
    mutating func settingsTimedOut(_ connection: Connection, now: NIODeadline) -> Actions {
        guard case .awaitingSettings(let current, _, _) = self.state, current === connection else { return .none }
        var actions = self.attemptFailed(now: now)
        actions.close = connection
        return actions
    }

    mutating func shutDown() -> Actions {
        var actions = Actions(report: .shutdown)
        switch self.state {
        case .shutdown: return .none
        case .ready(let connection): actions.drain = connection
        case .awaitingSettings(let connection, _, _): actions.close = connection
        case .idle, .connecting, .transientFailure: break
        }
        self.state = .shutdown
        return actions
    }

    private mutating func startAttempt(failures: Int, draining: Bool) -> Actions {
        self.state = .connecting(failures: failures, draining: draining)
        return Actions(report: draining ? .draining : .connecting, connect: true)
    }
}
