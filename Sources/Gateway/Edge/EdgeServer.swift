import CoreMetrics
package import HTTP2
package import NIOCore
import NIOExtras
import NIOHTTP1
package import NIOPosix

/// The REST edge: one listening socket for HTTP/1.1 and HTTP/2 with prior knowledge, told apart
/// by the connection preface; every connection lives on one event loop and uses that loop's
/// pipeline, so a request is served start to finish on one thread.
///
/// `shutdownGracefully` stops accepting, sends GOAWAY on HTTP/2 connections, answers the
/// in-flight HTTP/1.1 request with `connection: close` (idle ones close at once), waits for open
/// exchanges up to the drain timeout, then closes what is left.
package final class EdgeServer: Sendable {
    /// What one event loop owns: its pipeline and its request ids.
    package final class LoopContext {
        package let pipeline: any RequestPipeline
        let requestIDs = RequestIDGenerator()
        /// HTTP/1.1 answers are written into this, one at a time (the loop is one thread).
        let output = ResponseOutputBuffer()
        /// This loop's open connections, so a drain that runs out of time can close them.
        private var connections: [ObjectIdentifier: any Channel] = [:]
        /// `http.server.open_connections` (Prometheus: `http_server_open_connections`), set by
        /// the server: one update per connection opened or closed, never per request.
        var openConnections: Meter?

        package init(pipeline: any RequestPipeline) { self.pipeline = pipeline }

        /// Keeps `channel` until it closes (on its loop, which is this context's).
        func track(_ channel: any Channel) {
            let id = ObjectIdentifier(channel)
            self.connections[id] = channel
            self.openConnections?.increment()
            channel.closeFuture.assumeIsolated().whenComplete { _ in
                self.connections[id] = nil
                self.openConnections?.decrement()
            }
        }

        /// Closes every connection still open (the drain ran out of time): their exchanges are
        /// cancelled, and with them their upstream calls.
        func closeAll() {
            for channel in self.connections.values { channel.close(promise: nil) }
        }
    }

    package struct Configuration: Sendable {
        package var host = "0.0.0.0"
        package var port = 8080
        package var limits = EdgeLimits.defaults
        package var http2 = HTTP2.Configuration()
        /// The listener's name in metrics (`listener` dimension of the open connections gauge);
        /// nil: not counted.
        package var metricsName: String?
        /// How long a graceful shutdown waits for exchanges in flight.
        package var drainTimeout: Duration = .seconds(10)
        package var backlog: Int32 = 1024

        package init() {}
    }

    private let channel: any Channel
    private let quiescing: ServerQuiescingHelper
    private let drainTimeout: Duration
    private let contexts: [NIOLoopBound<LoopContext>]

    private init(
        channel: any Channel, quiescing: ServerQuiescingHelper, drainTimeout: Duration,
        contexts: [NIOLoopBound<LoopContext>]
    ) {
        self.channel = channel
        self.quiescing = quiescing
        self.drainTimeout = drainTimeout
        self.contexts = contexts
    }

    /// The bound address (port 0 resolved).
    package var localAddress: SocketAddress? { self.channel.localAddress }

    /// Binds and starts accepting. `makeContext` runs once on each loop of `group`, on that loop.
    package static func start(
        configuration: Configuration, group: MultiThreadedEventLoopGroup,
        makeContext: @escaping @Sendable (any EventLoop) -> LoopContext
    ) async throws -> EdgeServer {
        var contexts: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
        let metricsName = configuration.metricsName
        for loop in group.makeIterator() {
            contexts[ObjectIdentifier(loop)] = try await loop.submit {
                let context = makeContext(loop)
                if let metricsName {
                    context.openConnections = Meter(
                        label: "http.server.open_connections", dimensions: [("listener", metricsName)])
                }
                return NIOLoopBound(context, eventLoop: loop)
            }.get()
        }
        let perLoop = contexts
        let quiescing = ServerQuiescingHelper(group: group)
        let limits = configuration.limits
        let http2 = configuration.http2
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let context = perLoop[ObjectIdentifier(channel.eventLoop)]?.value else {
                        throw ChannelError.ioOnClosedChannel
                    }
                    context.track(channel)
                    let allocator = channel.allocator
                    let detector = ProtocolDetector { handlerContext, detected in
                        let operations = handlerContext.pipeline.syncOperations
                        switch detected {
                        case .http1:
                            try operations.addHandlers(
                                [
                                    ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)),
                                    HTTP1Handler(
                                        pipeline: context.pipeline, limits: limits, requestIDs: context.requestIDs,
                                        output: context.output),
                                ], position: .after(handlerContext.handler))
                        case .http2:
                            let delegate = HTTP2EdgeDelegate(
                                pipeline: context.pipeline, limits: limits, requestIDs: context.requestIDs,
                                allocator: allocator)
                            try operations.addHandler(
                                Connection(role: .server, configuration: http2, delegate: delegate),
                                position: .after(handlerContext.handler))
                        }
                    }
                    try channel.pipeline.syncOperations.addHandler(detector)
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        return EdgeServer(
            channel: channel, quiescing: quiescing, drainTimeout: configuration.drainTimeout,
            contexts: Array(perLoop.values))
    }

    /// Stops accepting, drains connections up to the drain timeout, closes what is still open
    /// then, and returns once every connection is closed. HTTP/2 connections close themselves
    /// once their streams finish; HTTP/1.1 ones after the answer in flight.
    package func shutdownGracefully() async {
        let drained = self.channel.eventLoop.makePromise(of: Void.self)
        self.quiescing.initiateShutdown(promise: drained)
        // Shutdown only, never a request's path: if the drain outlives its timeout, what is
        // still open closes then, each connection on its own loop. (A task group racing the
        // drain against a sleep would not do: the group waits for the drain either way.)
        let contexts = self.contexts
        let deadline = self.channel.eventLoop.scheduleTask(in: TimeAmount(self.drainTimeout)) {
            for context in contexts {
                context.eventLoop.execute { context.value.closeAll() }
            }
        }
        try? await drained.futureResult.get()
        deadline.cancel()
    }
}
