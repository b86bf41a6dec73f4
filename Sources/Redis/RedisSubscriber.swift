package import Logging
package import NIOCore
internal import Synchronization

/// A pub/sub connection: SUBSCRIBE/PSUBSCRIBE, messages as an async sequence, resubscribed after reconnects.
///
/// Call `run()` in a task (it connects, reconnects with backoff and returns when cancelled or closed),
/// subscribe from anywhere, and iterate `messages` in one consumer.
package final class RedisSubscriber: Sendable {
    /// Every message on the wanted channels and patterns, oldest first; finishes on `close()` or when `run` ends.
    package let messages: AsyncStream<RedisPubSubMessage>
    /// Connection and reconnect settings.
    package let configuration: Configuration
    private let continuation: AsyncStream<RedisPubSubMessage>.Continuation
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(SubscriberStateMachine<RedisConnection>())
    private let connectedCount = Atomic<Int>(0)

    /// A subscriber; nothing connects until `run()`.
    package init(configuration: Configuration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        (messages, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(configuration.bufferSize))
    }

    /// How many connections have come up so far (1 after the first connect; more after reconnects).
    package var connections: Int { connectedCount.load(ordering: .relaxed) }

    /// The channels currently wanted.
    package var channels: Set<String> { state.withLock { $0.channels } }

    /// Listens to channels. Kept across reconnects; throws if the server did not confirm now.
    package func subscribe(_ channels: [String]) async throws {
        try await change(.channel, channels, subscribe: true)
    }

    /// Listens to glob-style patterns (`halo:engagement:video:*`). Kept across reconnects.
    package func psubscribe(_ patterns: [String]) async throws {
        try await change(.pattern, patterns, subscribe: true)
    }

    /// Stops listening to channels; their messages stop at once, even those already in flight.
    package func unsubscribe(_ channels: [String]) async throws {
        try await change(.channel, channels, subscribe: false)
    }

    /// Stops listening to patterns.
    package func punsubscribe(_ patterns: [String]) async throws {
        try await change(.pattern, patterns, subscribe: false)
    }

    /// Ends the subscription: closes the connection, finishes `messages`; `run` returns soon after.
    package func close() {
        state.withLock { $0.close() }?.close()
        continuation.finish()
    }

    /// Connects and keeps connecting with backoff until the task is cancelled or `close()` is called.
    package func run() async {
        var failures = 0
        while !Task.isCancelled, !state.withLock({ $0.isClosed }) {
            do {
                let connection = try await RedisConnection.connect(
                    configuration: configuration.connection, on: eventLoopGroup.next(), logger: logger,
                    pushHandler: { [weak self] message in self?.deliver(message) }
                ).get()
                failures = 0
                await serve(connection)
            } catch {
                failures += 1
                logger.warning("redis subscriber connect failed", metadata: ["error": "\(error)"])
            }
            if Task.isCancelled || state.withLock({ $0.isClosed }) { break }
            let delay = configuration.backoff.delay(
                afterFailures: max(1, failures), jitter: configuration.backoff.randomJitter())
            try? await Task.sleep(for: .nanoseconds(delay.nanoseconds))
        }
        close()
    }

    /// Resubscribes on `connection`, then holds it until it closes or a keep-alive PING fails.
    private func serve(_ connection: RedisConnection) async {
        defer { state.withLock { $0.disconnected(connection) } }
        switch state.withLock({ $0.connected(connection) }) {
        case .close(let connection):
            try? await connection.close().get()
            return
        case .resubscribe(let channels, let patterns):
            connectedCount.add(1, ordering: .relaxed)
            do {
                if !channels.isEmpty { _ = try await connection.send(Self.command(.channel, channels, true)).get() }
                if !patterns.isEmpty { _ = try await connection.send(Self.command(.pattern, patterns, true)).get() }
                logger.debug("redis subscriber connected", metadata: ["channels": "\(channels.count)"])
            } catch {
                logger.warning("redis resubscribe failed", metadata: ["error": "\(error)"])
                try? await connection.close().get()
                return
            }
        }
        let pingInterval = configuration.pingInterval
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await connection.closeFuture.get() }
                if let pingInterval {
                    group.addTask {
                        while !Task.isCancelled {
                            guard (try? await Task.sleep(for: pingInterval)) != nil else { return }
                            guard (try? await connection.send(RedisCommand("PING")).get()) != nil else { return }
                        }
                    }
                }
                _ = await group.next()
                try? await connection.close().get()
                group.cancelAll()
            }
        } onCancel: {
            connection.close()
        }
    }

    private func change(
        _ kind: SubscriberStateMachine<RedisConnection>.Kind, _ names: [String], subscribe: Bool
    )
        async throws
    {
        guard !names.isEmpty else { return }
        switch state.withLock({ $0.change(kind, names, subscribe: subscribe) }) {
        case .fail:
            throw RedisError(code: .poolClosed, message: "the subscriber is closed")
        case .deferred:
            throw RedisError(
                code: .connectionClosed, message: "not connected; the change applies when the subscriber reconnects")
        case .send(let connection):
            _ = try await connection.send(Self.command(kind, names, subscribe)).get()
        }
    }

    /// SUBSCRIBE a b ... as one request expecting one confirmation per name.
    private static func command(
        _ kind: SubscriberStateMachine<RedisConnection>.Kind, _ names: [String], _ subscribe: Bool
    ) -> (RedisCommand, Int) {
        let name =
            switch (kind, subscribe) {
            case (.channel, true): "SUBSCRIBE"
            case (.channel, false): "UNSUBSCRIBE"
            case (.pattern, true): "PSUBSCRIBE"
            case (.pattern, false): "PUNSUBSCRIBE"
            }
        return (RedisCommand(name, arguments: names.map { .string($0) }), names.count)
    }

    private func deliver(_ message: RedisPubSubMessage) {
        if state.withLock({ $0.accepts(message) }) { continuation.yield(message) }
    }
}

extension RedisConnection {
    /// Sends a (un)subscribe command built by `RedisSubscriber.command`.
    fileprivate func send(_ command: (RedisCommand, Int)) -> EventLoopFuture<RESPValue> {
        send(command.0, expectedReplies: command.1)
    }
}
