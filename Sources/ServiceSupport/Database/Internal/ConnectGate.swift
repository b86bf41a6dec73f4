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

    /// Whether a request may try to get a connection now (always, unless connecting is failing).
    func admit() -> Bool {
        self.state.withLock { state in
            guard state.isFailing else { return true }
            let now = ContinuousClock.now
            guard now >= state.nextAttempt else { return false }
            state.nextAttempt = now + self.retryInterval
            return true
        }
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
}

/// Thrown without trying while the database has just refused connections; it counts as unavailable.
package struct DatabaseRefusingError: Error, Sendable, CustomStringConvertible {
    package var description: String { "the database refused connections moments ago" }
}
