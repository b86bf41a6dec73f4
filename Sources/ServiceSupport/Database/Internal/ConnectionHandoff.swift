import Synchronization

/// Hands one leased connection from the task that holds the lease (the lender, inside
/// `PostgresClient.withConnection`) to the task that runs statements on it (the receiver), and
/// lets the receiver give up waiting after a timeout.
///
/// `PostgresClient` leases only through a closure and waits for a connection for as long as it
/// takes (while connecting fails it queues requests until its circuit breaker trips, 15 s later).
/// A service must answer UNAVAILABLE well before a caller's deadline, so the lease is taken in a
/// child task and handed over here: the receiver stops waiting at its timeout, the child task is
/// cancelled, and the pool drops the request. Each transition happens under one lock and returns
/// what to resume outside it.
final class ConnectionHandoff<Connection: Sendable>: Sendable {
    private enum State {
        /// Nobody has arrived yet.
        case idle
        /// The receiver waits for the connection.
        case receiverWaiting(CheckedContinuation<Connection, any Error>)
        /// The connection arrived first; the lender waits until it is given back.
        case offered(Connection, lender: CheckedContinuation<Void, Never>)
        /// The receiver has the connection; the lender waits until it is given back.
        case lent(lender: CheckedContinuation<Void, Never>)
        /// Leasing failed before the receiver asked.
        case failed(any Error)
        /// Over: the connection was given back, the receiver gave up, or the failure was delivered.
        case finished
    }

    private enum LendAction {
        case resumeReceiver(CheckedContinuation<Connection, any Error>)
        case giveBackAtOnce
        case wait
    }

    private enum ReceiveAction {
        case wait
        case deliver(Connection)
        case fail(any Error)
    }

    private let state = Mutex(State.idle)

    init() {}

    // MARK: Lender

    /// Offers the leased connection and returns once the receiver gives it back (at once when the
    /// receiver has already given up).
    func lend(_ connection: Connection) async {
        await withCheckedContinuation { (lender: CheckedContinuation<Void, Never>) in
            let action = self.state.withLock { state -> LendAction in
                switch state {
                case .idle:
                    state = .offered(connection, lender: lender)
                    return .wait
                case .receiverWaiting(let receiver):
                    state = .lent(lender: lender)
                    return .resumeReceiver(receiver)
                case .offered, .lent, .failed, .finished:
                    return .giveBackAtOnce
                }
            }
            switch action {
            case .resumeReceiver(let receiver): receiver.resume(returning: connection)
            case .giveBackAtOnce: lender.resume()
            case .wait: break
            }
        }
    }

    /// Leasing failed (pool closed, circuit breaker open, request cancelled): the receiver gets `error`.
    func fail(_ error: any Error) {
        let receiver = self.state.withLock { state -> CheckedContinuation<Connection, any Error>? in
            switch state {
            case .idle:
                state = .failed(error)
                return nil
            case .receiverWaiting(let receiver):
                state = .finished
                return receiver
            case .offered, .lent, .failed, .finished:
                return nil
            }
        }
        receiver?.resume(throwing: error)
    }

    // MARK: Receiver

    /// Waits for the connection; call ``giveBack()`` when done with it. ``giveUp(with:)`` ends the wait.
    func receive() async throws -> Connection {
        try await withCheckedThrowingContinuation { (receiver: CheckedContinuation<Connection, any Error>) in
            let action = self.state.withLock { state -> ReceiveAction in
                switch state {
                case .idle:
                    state = .receiverWaiting(receiver)
                    return .wait
                case .offered(let connection, let lender):
                    state = .lent(lender: lender)
                    return .deliver(connection)
                case .failed(let error):
                    state = .finished
                    return .fail(error)
                case .receiverWaiting, .lent, .finished:
                    preconditionFailure("a connection handoff has one receiver, which receives once")
                }
            }
            switch action {
            case .deliver(let connection): receiver.resume(returning: connection)
            case .fail(let error): receiver.resume(throwing: error)
            case .wait: break
            }
        }
    }

    /// Ends a wait that has not been answered yet (or one not yet begun) with `error`, the timeout;
    /// a connection that arrives later is given back at once. Does nothing once the receiver has
    /// its answer.
    func giveUp(with error: any Error) {
        let receiver = self.state.withLock { state -> CheckedContinuation<Connection, any Error>? in
            switch state {
            case .idle:
                state = .failed(error)
                return nil
            case .receiverWaiting(let receiver):
                state = .finished
                return receiver
            case .offered, .lent, .failed, .finished:
                return nil
            }
        }
        receiver?.resume(throwing: error)
    }

    /// Returns the connection to the lender, which ends its lease.
    func giveBack() {
        let lender = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard case .lent(let lender) = state else { return nil }
            state = .finished
            return lender
        }
        lender?.resume()
    }
}
