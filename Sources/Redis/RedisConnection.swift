package import Logging
package import NIOCore
internal import NIOPosix

/// One TCP connection to Redis: pipelined commands, replies matched to promises in order.
package final class RedisConnection: RedisClient {
    /// The event loop the connection's channel lives on; its futures complete there.
    package let eventLoop: any EventLoop
    /// How the connection was made.
    package let configuration: Configuration
    private let channel: any Channel
    /// The channel's handler, called directly on the loop: a command goes into its output buffer
    /// without a walk down the pipeline.
    private let handler: NIOLoopBound<RedisChannelHandler>
    private let logger: Logger

    private init(
        channel: any Channel, handler: RedisChannelHandler, configuration: Configuration, logger: Logger
    ) {
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.eventLoop = channel.eventLoop
        self.configuration = configuration
        self.logger = logger
    }

    /// Connects, then runs AUTH, SELECT and CLIENT SETNAME as configured.
    package static func connect(
        configuration: Configuration, on eventLoop: any EventLoop, logger: Logger
    ) -> EventLoopFuture<RedisConnection> {
        connect(configuration: configuration, on: eventLoop, logger: logger, pushHandler: nil)
    }

    /// Connects, then runs AUTH, SELECT and CLIENT SETNAME as configured.
    package static func connect(
        configuration: Configuration, on eventLoop: any EventLoop, logger: Logger
    ) async throws -> RedisConnection {
        try await connect(configuration: configuration, on: eventLoop, logger: logger).get()
    }

    /// Connects; with a `pushHandler` the connection is a subscriber (see `RedisSubscriber`).
    static func connect(
        configuration: Configuration, on eventLoop: any EventLoop, logger: Logger,
        pushHandler: (@Sendable (RedisPubSubMessage) -> Void)?
    ) -> EventLoopFuture<RedisConnection> {
        var addressLogger = logger
        addressLogger[metadataKey: "redis.address"] = "\(configuration.host):\(configuration.port)"
        let logger = addressLogger
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RedisChannelHandler(logger: logger, pushHandler: pushHandler)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .flatMapErrorThrowing { error -> any Channel in
                throw RedisError(
                    code: .connectionFailed,
                    message: "could not connect to \(configuration.host):\(configuration.port)", cause: error)
            }
        return connected.flatMap { channel in
            let handler: RedisChannelHandler
            do {
                handler = try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self)
            } catch {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(
                    RedisError(code: .connectionFailed, message: "connection closed while opening", cause: error))
            }
            let connection = RedisConnection(
                channel: channel, handler: handler, configuration: configuration, logger: logger)
            return connection.handshake().map { connection }
        }
    }

    /// Whether the channel is still open; a timed-out or broken connection is not.
    package var isActive: Bool { channel.isActive }

    /// Completes when the channel has closed.
    package var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Sends one command with the configured command timeout.
    package func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        send(command, timeout: configuration.commandTimeout)
    }

    /// Sends one command with its own timeout (nil waits forever).
    package func send(_ command: RedisCommand, timeout: Duration?) -> EventLoopFuture<RESPValue> {
        let promise = eventLoop.makePromise(of: RESPValue.self)
        write(RedisRequest(command: command, timeout: timeout.map(TimeAmount.init), promise: promise))
        return promise.futureResult
    }

    /// Sends one command with its own timeout (nil waits forever).
    package func send(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue {
        try await send(command, timeout: timeout).get()
    }

    /// Sends every command in one write; replies in order, error replies as `.error` values.
    package func pipeline(_ commands: [RedisCommand]) -> EventLoopFuture<[RESPValue]> {
        guard !commands.isEmpty else { return eventLoop.makeSucceededFuture([]) }
        // One request for all of them: one buffer, one promise, one pending entry.
        let promise = eventLoop.makePromise(of: RESPValue.self)
        write(.pipeline(commands, timeout: configuration.commandTimeout.map(TimeAmount.init), promise: promise))
        let count = commands.count
        return promise.futureResult.flatMapThrowing { reply in
            if count == 1 { return [reply] }
            guard case .array(let replies) = reply, replies.count == count else {
                throw RedisError(code: .protocolError, message: "a pipeline's replies did not come back together")
            }
            return replies
        }
    }

    /// Sends a command that answers with `replies` replies (SUBSCRIBE a b c); they come back as one array.
    func send(_ command: RedisCommand, expectedReplies replies: Int) -> EventLoopFuture<RESPValue> {
        let promise = eventLoop.makePromise(of: RESPValue.self)
        let request = RedisRequest(
            command: command, expectedReplies: replies,
            timeout: configuration.commandTimeout.map(TimeAmount.init), promise: promise)
        write(request)
        return promise.futureResult
    }

    /// Closes the connection; commands still in flight fail with `connectionClosed`.
    @discardableResult
    package func close() -> EventLoopFuture<Void> {
        channel.close().recover { _ in }
    }

    /// Queues the request on the loop; it goes out with the loop's next flush of this connection
    /// (see ``RedisChannelHandler/enqueue(_:writePromise:)``). Once the channel is closed its
    /// handler fails the request.
    private func write(_ request: RedisRequest) {
        if eventLoop.inEventLoop {
            handler.value.enqueue(request)
        } else {
            eventLoop.execute { [handler] in handler.value.enqueue(request) }
        }
    }

    private func handshake() -> EventLoopFuture<Void> {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            if let username = configuration.username {
                commands.append(RedisCommand("AUTH", .string(username), .string(password)))
            } else {
                commands.append(RedisCommand("AUTH", .string(password)))
            }
        }
        if let database = configuration.database, database != 0 {
            commands.append(RedisCommand("SELECT", .int(database)))
        }
        if let name = configuration.clientName {
            commands.append(RedisCommand("CLIENT", "SETNAME", .string(name)))
        }
        let logger = logger
        return pipeline(commands).flatMapThrowing { replies in
            if let failure = replies.first(where: { if case .error = $0 { true } else { false } }) {
                throw RedisError(code: .connectionFailed, message: "handshake failed: \(failure)")
            }
            logger.debug("redis connected")
        }.flatMapError { [channel] error in
            channel.close(promise: nil)
            let redisError = error as? RedisError
            if redisError?.code == .connectionFailed { return channel.eventLoop.makeFailedFuture(error) }
            return channel.eventLoop.makeFailedFuture(
                RedisError(code: .connectionFailed, message: "handshake failed", cause: error))
        }
    }
}
