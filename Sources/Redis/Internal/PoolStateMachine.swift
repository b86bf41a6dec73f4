package import NIOCore

/// What the pool needs to know about a connection.
package protocol PoolConnection: AnyObject, Sendable {
    /// Whether the connection can still carry commands.
    var isActive: Bool { get }
}

/// The pool's bookkeeping: idle, leased and connecting counts, waiters and reconnect backoff.
///
/// Transitions return `Actions` for the caller to perform outside the lock. Time comes in as arguments.
package struct PoolStateMachine<Connection: PoolConnection> {
    /// A caller waiting for a connection.
    package struct Waiter: Sendable {
        /// Unique per pool, to find the waiter when its timeout fires.
        package var id: Int
        /// Succeeds with a leased connection or fails with a `RedisError`.
        package var promise: EventLoopPromise<Connection>

        /// A waiter with a unique id.
        package init(id: Int, promise: EventLoopPromise<Connection>) {
            self.id = id
            self.promise = promise
        }
    }

    /// Work to do after a transition, in this order.
    package struct Actions: Sendable {
        /// Close these connections.
        package var close: [Connection] = []
        /// Hand these connections to these waiters.
        package var lease: [(Waiter, Connection)] = []
        /// Fail these waiters.
        package var fail: [(Waiter, RedisError)] = []
        /// Open this many new connections.
        package var connect = 0
        /// Start the wait timer for this waiter.
        package var scheduleTimeout: Waiter?
    }

    private enum State {
        case running
        case shutDown
    }

    private var state = State.running
    private var idle: [Connection] = []
    private var waiters = CircularBuffer<Waiter>()
    private(set) package var leased = 0
    private(set) package var connecting = 0
    private var failures = 0
    private var retryAt: NIODeadline?
    private var lastError: RedisError?
    private let configuration: RedisPool.Configuration

    /// An empty pool.
    package init(configuration: RedisPool.Configuration) {
        self.configuration = configuration
    }

    /// Open connections, idle or leased, plus those being opened.
    package var total: Int { idle.count + leased + connecting }
    /// Idle connections.
    package var idleCount: Int { idle.count }
    /// Callers waiting for a connection.
    package var waiterCount: Int { waiters.count }

    /// A caller wants a connection: an idle one, a new one, a place in the queue, or an error.
    package mutating func lease(_ waiter: Waiter, now: NIODeadline) -> Actions {
        var actions = Actions()
        guard case .running = state else {
            actions.fail.append((waiter, RedisError(code: .poolClosed, message: "the Redis pool is shut down")))
            return actions
        }
        while let connection = idle.popLast() {
            if connection.isActive {
                leased += 1
                actions.lease.append((waiter, connection))
                return actions
            }
            actions.close.append(connection)
        }
        if let retryAt, now < retryAt {
            actions.fail.append(
                (
                    waiter,
                    RedisError(code: .connectionFailed, message: "Redis unreachable, backing off", cause: lastError)
                ))
            return actions
        }
        guard waiters.count < configuration.maxWaiters else {
            actions.fail.append((waiter, RedisError(code: .poolExhausted, message: "too many callers waiting")))
            return actions
        }
        waiters.append(waiter)
        actions.scheduleTimeout = waiter
        connectIfNeeded(&actions, now: now)
        return actions
    }

    /// A leased connection comes back; a dead one is closed and replaced if someone waits.
    package mutating func release(_ connection: Connection, now: NIODeadline) -> Actions {
        var actions = Actions()
        assert(leased > 0, "released a connection the pool did not lease")
        leased -= 1
        guard case .running = state, connection.isActive else {
            actions.close.append(connection)
            if case .running = state { connectIfNeeded(&actions, now: now) }
            return actions
        }
        if let waiter = waiters.popFirst() {
            leased += 1
            actions.lease.append((waiter, connection))
        } else {
            idle.append(connection)
        }
        return actions
    }

    /// A new connection is ready: hand it to the oldest waiter or keep it idle. Backoff resets.
    package mutating func connected(_ connection: Connection, now: NIODeadline) -> Actions {
        var actions = Actions()
        connecting -= 1
        failures = 0
        retryAt = nil
        lastError = nil
        guard case .running = state else {
            actions.close.append(connection)
            return actions
        }
        if let waiter = waiters.popFirst() {
            leased += 1
            actions.lease.append((waiter, connection))
        } else {
            idle.append(connection)
        }
        connectIfNeeded(&actions, now: now)
        return actions
    }

    /// Connecting failed: back off exponentially (`jitter` scales the delay) and fail the waiters.
    package mutating func connectFailed(_ error: RedisError, now: NIODeadline, jitter: Double = 1) -> Actions {
        var actions = Actions()
        connecting -= 1
        failures += 1
        lastError = error
        retryAt = now + configuration.backoff.delay(afterFailures: failures, jitter: jitter)
        while let waiter = waiters.popFirst() {
            actions.fail.append((waiter, error))
        }
        return actions
    }

    /// A waiter's time is up; it fails with `timeout` unless it was served already.
    package mutating func waiterTimedOut(id: Int) -> Actions {
        var actions = Actions()
        if let index = waiters.firstIndex(where: { $0.id == id }) {
            let waiter = waiters.remove(at: index)
            actions.fail.append(
                (waiter, RedisError(code: .timeout, message: "no Redis connection free within the wait timeout")))
        }
        return actions
    }

    /// Stops the pool: idle connections close, waiters fail, leased ones close when released.
    package mutating func shutdown() -> Actions {
        var actions = Actions()
        state = .shutDown
        actions.close = idle
        idle.removeAll()
        while let waiter = waiters.popFirst() {
            actions.fail.append((waiter, RedisError(code: .poolClosed, message: "the Redis pool is shut down")))
        }
        return actions
    }

    /// Opens connections for waiters not yet covered; one probe at a time while failing.
    private mutating func connectIfNeeded(_ actions: inout Actions, now: NIODeadline) {
        if let retryAt, now < retryAt { return }
        while waiters.count > connecting, total < configuration.maxConnections, failures == 0 || connecting == 0 {
            connecting += 1
            actions.connect += 1
        }
    }
}
