import Logging
import NIOCore

/// One event loop's shared connection in ``RedisLoopClient``: opened on first use, reopened when
/// lost, with backoff while Redis cannot be reached. Its state is touched only on `eventLoop`.
final class RedisLoopSlot: @unchecked Sendable {
    // @unchecked: `state` is read and written only on `eventLoop` (every entry point hops there first).
    let eventLoop: any EventLoop
    private var state: LoopConnectionStateMachine<RedisConnection, EventLoopPromise<RedisConnection>>
    private let configuration: RedisPool.Configuration
    private let logger: Logger

    init(eventLoop: any EventLoop, configuration: RedisPool.Configuration, logger: Logger) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.state = LoopConnectionStateMachine(backoff: configuration.backoff, maxWaiters: configuration.maxWaiters)
    }

    /// Runs `body` with the loop's connection, on the loop: at once when it is open, after it opens otherwise.
    func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) -> EventLoopFuture<Value>
    ) -> EventLoopFuture<Value> {
        if self.eventLoop.inEventLoop { return self.withConnectionOnLoop(body) }
        return self.eventLoop.flatSubmit { self.withConnectionOnLoop(body) }
    }

    /// Closes the connection and fails whoever waits; later calls fail with `poolClosed`.
    func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit {
            let actions = self.state.shutdown()
            if let failed = actions.fail {
                for waiter in failed.waiters { waiter.fail(failed.error) }
            }
            return actions.close?.close() ?? self.eventLoop.makeSucceededVoidFuture()
        }
    }

    private func withConnectionOnLoop<Value: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) -> EventLoopFuture<Value>
    ) -> EventLoopFuture<Value> {
        var promise: EventLoopPromise<RedisConnection>?
        let acquire = self.state.acquire(now: .now()) {
            let waiter = self.eventLoop.makePromise(of: RedisConnection.self)
            promise = waiter
            return waiter
        }
        switch acquire {
        case .use(let connection):
            return body(connection)
        case .wait(let connect):
            if connect { self.connect() }
            return promise!.futureResult.flatMap(body)
        case .fail(let error):
            return self.eventLoop.makeFailedFuture(error)
        }
    }

    private func connect() {
        RedisConnection.connect(configuration: self.configuration.connection, on: self.eventLoop, logger: self.logger)
            .whenComplete { result in
                self.eventLoop.preconditionInEventLoop()
                switch result {
                case .success(let connection):
                    self.perform(self.state.connected(connection))
                case .failure(let error):
                    self.logger.warning("redis connect failed", metadata: ["error": "\(error)"])
                    let redisError =
                        error as? RedisError
                        ?? RedisError(code: .connectionFailed, message: "connect failed", cause: error)
                    let jitter = self.configuration.backoff.randomJitter()
                    self.perform(self.state.connectFailed(redisError, now: .now(), jitter: jitter))
                }
            }
    }

    private func perform(
        _ actions: LoopConnectionStateMachine<RedisConnection, EventLoopPromise<RedisConnection>>.Actions
    ) {
        actions.close?.close()
        if let succeeded = actions.succeed {
            for waiter in succeeded.waiters { waiter.succeed(succeeded.connection) }
        }
        if let failed = actions.fail {
            for waiter in failed.waiters { waiter.fail(failed.error) }
        }
    }
}
