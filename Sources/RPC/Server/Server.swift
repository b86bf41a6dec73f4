package import HTTP2
package import Logging
package import NIOCore
import NIOPosix
import Synchronization

/// A gRPC server over HTTP/2 (h2c, prior knowledge) on nghttp2.
///
/// Each connection lives on one event loop; handlers run in Tasks pinned to that loop.
/// `shutdownGracefully` stops accepting, sends GOAWAY, and lets calls in flight finish within
/// the configured drain time.
package final class Server: Sendable {
    package struct Configuration: Sendable {
        package var host: String = "127.0.0.1"
        /// 0 picks a free port; `start()` returns the bound address.
        package var port: Int = 0
        package var http2 = HTTP2.Configuration()
        /// Largest request message accepted (RESOURCE_EXHAUSTED above it).
        package var maxMessageSize: Int = 4 << 20

        package init() {}

        package static var defaults: Self { Self() }
    }

    private enum State {
        case idle
        case running(any Channel)
        case stopping
        case stopped
    }

    private let configuration: Configuration
    private let router: Router
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State.idle)
    private let connections = Mutex([ObjectIdentifier: any Channel]())
    private let stopped: EventLoopPromise<Void>

    package init(
        configuration: Configuration, router: Router, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.router = router
        self.group = group
        self.logger = logger
        self.stopped = group.any().makePromise()
    }

    deinit {
        // A server dropped without a graceful shutdown (one whose bind failed, say) can have no one
        // waiting any more: complete the promise rather than leave it to NIO's leak check, which
        // ends the process in debug builds.
        if case .stopped = self.state.withLock({ $0 }) { return }
        self.stopped.succeed()
    }

    /// Binds and starts accepting; returns the bound address.
    @discardableResult
    package func start() async throws -> SocketAddress {
        var configuration = self.configuration
        configuration.http2.knownPaths = StringTable(self.router.methods.map(\.path))
        let router = self.router
        let logger = self.logger
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    self?.track(channel)
                    let delegate = ServerConnectionDelegate(
                        router: router, eventLoop: channel.eventLoop, maxMessageSize: configuration.maxMessageSize,
                        remoteAddress: channel.remoteAddress, logger: logger)
                    try channel.pipeline.syncOperations.addHandler(
                        Connection(role: .server, configuration: configuration.http2, delegate: delegate))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        self.state.withLock { $0 = .running(channel) }
        let address = channel.localAddress!
        self.logger.info("grpc server listening", metadata: ["address": "\(address)"])
        return address
    }

    /// Stops accepting, drains connections with GOAWAY, and returns when all are closed.
    /// A server that never started (or whose bind failed) is stopped at once; a second caller
    /// waits for the first one's shutdown to finish.
    package func shutdownGracefully() async {
        enum Step {
            case close(any Channel)
            case stopNow
            case wait
        }
        let step: Step = self.state.withLock { state in
            switch state {
            case .running(let channel):
                state = .stopping
                return .close(channel)
            case .idle:
                state = .stopped
                return .stopNow
            case .stopping, .stopped:
                return .wait
            }
        }
        let channel: any Channel
        switch step {
        case .close(let running):
            channel = running
        case .stopNow:
            self.stopped.succeed()
            return
        case .wait:
            try? await self.stopped.futureResult.get()
            return
        }
        try? await channel.close()
        let open = self.connections.withLock { Array($0.values) }
        for connection in open {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        for connection in open {
            try? await connection.closeFuture.get()
        }
        self.state.withLock { $0 = .stopped }
        self.logger.info("grpc server stopped")
        self.stopped.succeed()
    }

    /// Sends every open connection a GOAWAY keeping only its `keepingOldestStreams` oldest calls
    /// (the others close as refused, never processed) and keeps accepting new connections: a
    /// restart as clients see it, for testing their GOAWAY handling.
    package func goAway(keepingOldestStreams count: Int) {
        let open = self.connections.withLock { Array($0.values) }
        for connection in open {
            connection.pipeline.fireUserInboundEventTriggered(Connection.GoAwayEvent(keepingOldestStreams: count))
        }
    }

    /// Starts (if needed) and serves until the task is cancelled, then shuts down gracefully.
    package func run() async throws {
        if case .idle = self.state.withLock({ $0 }) { try await self.start() }
        await withTaskCancellationHandler {
            try? await self.stopped.futureResult.get()
        } onCancel: {
            Task { await self.shutdownGracefully() }
        }
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        self.connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.connections.withLock { $0.removeValue(forKey: id) }
        }
    }
}
