package import Logging
package import NIOCore
internal import Synchronization

/// A bounded pool of Redis connections, opened lazily and reopened with backoff after failures.
package final class RedisPool: RedisClient {
    /// Statistics for admin pages and tests.
    package struct Stats: Sendable, Hashable {
        /// Open connections nobody uses.
        package var idle: Int
        /// Connections handed out.
        package var leased: Int
        /// Connections being opened.
        package var connecting: Int
        /// Callers waiting for a connection.
        package var waiters: Int
        /// Idle, leased and connecting together; never above `maxConnections`.
        package var total: Int { idle + leased + connecting }
    }

    /// The pool's limits and connection settings.
    package let configuration: Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state: Mutex<PoolStateMachine<RedisConnection>>
    private let waiterIDs = Atomic<Int>(0)

    /// A pool; no connection opens until the first command.
    package init(configuration: Configuration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = Mutex(PoolStateMachine(configuration: configuration))
    }

    /// Current counts.
    package var stats: Stats {
        state.withLock {
            Stats(idle: $0.idleCount, leased: $0.leased, connecting: $0.connecting, waiters: $0.waiterCount)
        }
    }

    /// Sends one command on a pooled connection.
    package func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        leaseConnection().flatMap { connection in
            connection.send(command).always { _ in self.release(connection) }
        }
    }

    /// Sends one command on a pooled connection with its own timeout (nil waits forever).
    package func send(_ command: RedisCommand, timeout: Duration?) -> EventLoopFuture<RESPValue> {
        leaseConnection().flatMap { connection in
            connection.send(command, timeout: timeout).always { _ in self.release(connection) }
        }
    }

    /// Sends one command on a pooled connection with its own timeout (nil waits forever).
    package func send(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue {
        try await send(command, timeout: timeout).get()
    }

    /// Sends commands in one write on one pooled connection.
    package func pipeline(_ commands: [RedisCommand]) -> EventLoopFuture<[RESPValue]> {
        leaseConnection().flatMap { connection in
            connection.pipeline(commands).always { _ in self.release(connection) }
        }
    }

    /// Runs `body` with a connection of its own (for WATCH, or many commands in a row), then returns it.
    ///
    /// If `body` throws, the connection is closed rather than reused: it may be left inside WATCH or MULTI.
    package func withConnection<Result: Sendable>(
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await leaseConnection().get()
        do {
            let result = try await body(connection)
            release(connection)
            return result
        } catch {
            try? await connection.close().get()
            release(connection)
            throw error
        }
    }

    /// Leases a connection; pair with `release`.
    package func leaseConnection() -> EventLoopFuture<RedisConnection> {
        let eventLoop = eventLoopGroup.any()
        let waiter = PoolStateMachine<RedisConnection>.Waiter(
            id: waiterIDs.add(1, ordering: .relaxed).newValue, promise: eventLoop.makePromise())
        let actions = state.withLock { $0.lease(waiter, now: .now()) }
        perform(actions)
        return waiter.promise.futureResult
    }

    /// Returns a leased connection; a closed one is dropped.
    package func release(_ connection: RedisConnection) {
        perform(state.withLock { $0.release(connection, now: .now()) })
    }

    /// Closes idle connections, fails waiters and refuses new work; leased connections close on release.
    package func shutdown() async {
        let actions = state.withLock { $0.shutdown() }
        perform(actions)
        for connection in actions.close { try? await connection.close().get() }
    }

    private func perform(_ actions: PoolStateMachine<RedisConnection>.Actions) {
        for connection in actions.close { connection.close() }
        for (waiter, connection) in actions.lease { waiter.promise.succeed(connection) }
        for (waiter, error) in actions.fail { waiter.promise.fail(error) }
        for _ in 0..<actions.connect { openConnection() }
        if let waiter = actions.scheduleTimeout {
            waiter.promise.futureResult.eventLoop.scheduleTask(in: TimeAmount(configuration.waitTimeout)) {
                self.perform(self.state.withLock { $0.waiterTimedOut(id: waiter.id) })
            }
        }
    }

    private func openConnection() {
        RedisConnection.connect(configuration: configuration.connection, on: eventLoopGroup.next(), logger: logger)
            .whenComplete { result in
                let actions: PoolStateMachine<RedisConnection>.Actions
                switch result {
                case .success(let connection):
                    actions = self.state.withLock { $0.connected(connection, now: .now()) }
                case .failure(let error):
                    self.logger.warning("redis connect failed", metadata: ["error": "\(error)"])
                    let redisError =
                        error as? RedisError
                        ?? RedisError(code: .connectionFailed, message: "connect failed", cause: error)
                    let jitter = self.configuration.backoff.randomJitter()
                    actions = self.state.withLock { $0.connectFailed(redisError, now: .now(), jitter: jitter) }
                }
                self.perform(actions)
            }
    }
}

extension RedisConnection: PoolConnection {}
