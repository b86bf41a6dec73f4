import Synchronization

/// Fails requests at once while the database refuses connections, letting one request through
/// per retry interval to try again.
///
/// Without it every request during an outage opens (and waits for) its own doomed connection,
/// and requests queued behind one in the pool wait out the whole acquire timeout.
final class ConnectGate: Sendable {
    private struct State {
        var isFailing = false
        var nextAttempt = ContinuousClock.now
    }

    let retryInterval: Duration
    private let state = Mutex(State())

    init(retryInterval: Duration) {
        self.retryInterval = retryInterval
    }

    /// What a request may do now.
    enum Admission: Sendable, Hashable {
        /// Connecting works: get a connection, waiting as long as the pool lets you.
        case open
        /// Connecting has been failing and this request is the one that tries again: wait for a
        /// connection no longer than the retry interval, the pool reconnects on its own.
        case probe
        /// Connecting is failing: fail at once.
        case refused
    }

    /// Whether and how a request may try to get a connection now.
    func admission() -> Admission {
        self.state.withLock { state in
            guard state.isFailing else { return .open }
            let now = ContinuousClock.now
            guard now >= state.nextAttempt else { return .refused }
            state.nextAttempt = now + self.retryInterval
            return .probe
        }
    }

    /// Whether a request may try to get a connection now (always, unless connecting is failing).
    func admit() -> Bool {
        self.admission() != .refused
    }

    /// Whether connecting is failing now.
    var isFailing: Bool {
        self.state.withLock { $0.isFailing }
    }

    /// A connection was obtained: let everyone through again.
    func succeeded() {
        self.state.withLock { $0.isFailing = false }
    }

    /// Connecting failed: fail requests at once until the next attempt is due.
    func failed() {
        self.state.withLock { state in
            state.isFailing = true
            state.nextAttempt = ContinuousClock.now + self.retryInterval
        }
    }

    /// A connection in use was lost: the next request tries at once (other connections may be
    /// fine), and the ones after it fail at once until one gets a connection or the next attempt
    /// is due.
    func connectionLost() {
        self.state.withLock { state in
            guard !state.isFailing else { return }
            state.isFailing = true
            state.nextAttempt = ContinuousClock.now
        }
    }
}

/// Thrown without trying while the database has just refused connections; it counts as unavailable.
package struct DatabaseRefusingError: Error, Sendable, CustomStringConvertible {
    package var description: String { "the database refused connections moments ago" }
}
