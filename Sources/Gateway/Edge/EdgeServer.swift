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

        package init(pipeline: any RequestPipeline) { self.pipeline = pipeline }
    }

    package struct Configuration: Sendable {
        package var host = "0.0.0.0"
        package var port = 8080
        package var limits = EdgeLimits.defaults
        package var http2 = HTTP2.Configuration()
        /// How long a graceful shutdown waits for exchanges in flight.
        package var drainTimeout: Duration = .seconds(10)
        package var backlog: Int32 = 1024

        package init() {}
    }

    private let channel: any Channel
    private let quiescing: ServerQuiescingHelper
    private let drainTimeout: Duration

    private init(channel: any Channel, quiescing: ServerQuiescingHelper, drainTimeout: Duration) {
        self.channel = channel
        self.quiescing = quiescing
        self.drainTimeout = drainTimeout
    }

    /// The bound address (port 0 resolved).
    package var localAddress: SocketAddress? { self.channel.localAddress }

    /// Binds and starts accepting. `makeContext` runs once on each loop of `group`, on that loop.
    package static func start(
        configuration: Configuration, group: MultiThreadedEventLoopGroup,
        makeContext: @escaping @Sendable (any EventLoop) -> LoopContext
    ) async throws -> EdgeServer {
        var contexts: [ObjectIdentifier: NIOLoopBound<LoopContext>] = [:]
        for loop in group.makeIterator() {
            contexts[ObjectIdentifier(loop)] = try await loop.submit {
                NIOLoopBound(makeContext(loop), eventLoop: loop)
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
                    let allocator = channel.allocator
                    let detector = ProtocolDetector { handlerContext, detected in
                        let operations = handlerContext.pipeline.syncOperations
                        switch detected {
                        case .http1:
                            try operations.addHandlers(
                                [
                                    ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)),
                                    HTTP1Handler(
                                        pipeline: context.pipeline, limits: limits, requestIDs: context.requestIDs),
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
        return EdgeServer(channel: channel, quiescing: quiescing, drainTimeout: configuration.drainTimeout)
    }

    /// Stops accepting, drains connections up to the drain timeout, then returns.
    /// HTTP/2 connections close themselves once their streams finish (or at their own drain
    /// timeout); HTTP/1.1 ones after the answer in flight.
    package func shutdownGracefully() async {
        let drained = self.channel.eventLoop.makePromise(of: Void.self)
        self.quiescing.initiateShutdown(promise: drained)
        let drainTimeout = self.drainTimeout
        // Shutdown only, never a request's path: wait for the drain or its timeout, whichever first.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await drained.futureResult.get() }
            group.addTask { try? await Task.sleep(for: drainTimeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
