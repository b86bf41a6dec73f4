package import NIOCore

/// The bookkeeping of one event loop's shared connection in ``RedisLoopClient``: none yet,
/// connecting (callers queue), connected, backing off after a failed connect, or shut down.
///
/// Transitions return what the caller must do; time comes in as arguments. Everything runs on the
/// loop that owns the connection, so there is no lock.
package struct LoopConnectionStateMachine<Connection: PoolConnection, Waiter> {
    /// What a caller that wants the connection does next.
    package enum Acquire {
        /// Send on this connection now.
        case use(Connection)
        /// Wait (the waiter is queued); open a connection first when `connect` is true.
        case wait(connect: Bool)
        /// Fail at once.
        case fail(RedisError)
    }

    /// Work to do after a connect finished or the client shut down.
    package struct Actions {
        /// Hand the connection to these waiters.
        package var succeed: (connection: Connection, waiters: [Waiter])?
        /// Fail these waiters with this error.
        package var fail: (waiters: [Waiter], error: RedisError)?
        /// Close this connection.
        package var close: Connection?
    }

    private enum State {
        case idle
        case connecting(waiters: [Waiter])
        case connected(Connection)
        case backingOff(until: NIODeadline, error: RedisError)
        case shutDown
    }

    private var state = State.idle
    private var failures = 0
    private let backoff: RedisPool.Configuration.Backoff
    private let maxWaiters: Int

    /// No connection until the first caller; at most `maxWaiters` callers wait while it opens.
    package init(backoff: RedisPool.Configuration.Backoff, maxWaiters: Int) {
        self.backoff = backoff
        self.maxWaiters = maxWaiters
    }

    /// Whether a connection is open and usable.
    package var isConnected: Bool {
        if case .connected(let connection) = self.state { return connection.isActive }
        return false
    }

    /// A caller wants the connection; `waiter` is made only when the caller has to wait.
    package mutating func acquire(now: NIODeadline, waiter: () -> Waiter) -> Acquire {
        switch self.state {
        case .connected(let connection):
            if connection.isActive { return .use(connection) }
            // Lost (Redis restarted, a command timed out): reconnect at once, once.
            self.state = .connecting(waiters: [waiter()])
            return .wait(connect: true)
        case .idle:
            self.state = .connecting(waiters: [waiter()])
            return .wait(connect: true)
        case .connecting(var waiters):
            guard waiters.count < self.maxWaiters else {
                return .fail(RedisError(code: .poolExhausted, message: "too many callers waiting"))
            }
            waiters.append(waiter())
            self.state = .connecting(waiters: waiters)
            return .wait(connect: false)
        case .backingOff(let until, let error):
            guard now >= until else {
                return .fail(
                    RedisError(code: .connectionFailed, message: "Redis unreachable, backing off", cause: error))
            }
            self.state = .connecting(waiters: [waiter()])
            return .wait(connect: true)
        case .shutDown:
            return .fail(RedisError(code: .poolClosed, message: "the Redis client is shut down"))
        }
    }

    /// The connection is open: the waiters use it. Backoff resets.
    package mutating func connected(_ connection: Connection) -> Actions {
        var actions = Actions()
        switch self.state {
        case .connecting(let waiters):
            self.failures = 0
            self.state = .connected(connection)
            actions.succeed = (connection, waiters)
        case .shutDown, .idle, .connected, .backingOff:
            // Only `connecting` opens connections; after shutdown a late one is closed.
            actions.close = connection
        }
        return actions
    }

    /// Connecting failed: the waiters fail, and callers fail fast until the backoff delay
    /// (exponential, scaled by `jitter`) has passed.
    package mutating func connectFailed(_ error: RedisError, now: NIODeadline, jitter: Double = 1) -> Actions {
        var actions = Actions()
        guard case .connecting(let waiters) = self.state else { return actions }
        self.failures += 1
        self.state = .backingOff(
            until: now + self.backoff.delay(afterFailures: self.failures, jitter: jitter), error: error)
        actions.fail = (waiters, error)
        return actions
    }

    /// Stops: the connection closes, waiters fail, later callers fail.
    package mutating func shutdown() -> Actions {
        var actions = Actions()
        switch self.state {
        case .connected(let connection):
            actions.close = connection
        case .connecting(let waiters):
            actions.fail = (waiters, RedisError(code: .poolClosed, message: "the Redis client is shut down"))
        case .idle, .backingOff, .shutDown:
            break
        }
        self.state = .shutDown
        return actions
    }
}
