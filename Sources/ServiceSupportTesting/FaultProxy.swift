package import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on 127.0.0.1 that a test can cut: while cut, open connections are closed and new
/// ones are accepted and closed at once, as if the server behind it had gone away; restored, it
/// forwards again. The port stays the same throughout.
package final class FaultProxy: Sendable {
    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var isCut = false
    }

    private let targetHost: String
    private let targetPort: Int
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    package init(
        targetHost: String, targetPort: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.targetHost = targetHost
        self.targetPort = targetPort
        self.group = group
    }

    /// Starts listening on a free port and returns it.
    package func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { [self] inbound in
                inbound.eventLoop.makeCompletedFuture {
                    try inbound.pipeline.syncOperations.addHandler(InboundRelay(proxy: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        self.state.withLock { $0.listener = channel }
        return channel.localAddress!.port!
    }

    /// Closes every connection and refuses new ones until ``restore()``.
    package func cut() async {
        let open = self.state.withLock { state in
            state.isCut = true
            return Array(state.connections.values)
        }
        for channel in open { try? await channel.close() }
    }

    /// Forwards new connections again.
    package func restore() {
        self.state.withLock { $0.isCut = false }
    }

    /// Stops listening and closes every connection.
    package func stop() async {
        await self.cut()
        let listener = self.state.withLock { $0.listener.take() }
        try? await listener?.close()
    }

    /// Tracks a channel until it closes; false (and nothing tracked) while cut.
    fileprivate func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = self.state.withLock { state in
            guard !state.isCut else { return false }
            state.connections[id] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [weak self] _ in
                _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
            }
        }
        return admitted
    }

    /// Opens the upstream connection for an accepted (active) one, then lets bytes flow both ways.
    fileprivate func connect(_ inbound: any Channel, relay: InboundRelay) {
        guard self.admit(inbound) else {
            inbound.close(promise: nil)
            return
        }
        let relay = NIOLoopBound(relay, eventLoop: inbound.eventLoop)
        ClientBootstrap(group: inbound.eventLoop)
            .channelInitializer { outbound in
                outbound.eventLoop.makeCompletedFuture {
                    try outbound.pipeline.syncOperations.addHandler(OutboundRelay(partner: inbound))
                }
            }
            .connect(host: self.targetHost, port: self.targetPort)
            .whenComplete { result in
                switch result {
                case .success(let outbound):
                    guard self.admit(outbound), inbound.isActive else {
                        inbound.close(promise: nil)
                        outbound.close(promise: nil)
                        return
                    }
                    relay.value.partner = outbound
                    inbound.setOption(.autoRead, value: true).whenComplete { _ in inbound.read() }
                case .failure:
                    inbound.close(promise: nil)
                }
            }
    }
}

/// The accepted side: connects upstream once active, then forwards what it reads.
private final class InboundRelay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let proxy: FaultProxy
    /// Set on the channel's event loop once the upstream connection is open.
    var partner: (any Channel)?

    init(proxy: FaultProxy) {
        self.proxy = proxy
    }

    func channelActive(context: ChannelHandlerContext) {
        self.proxy.connect(context.channel, relay: self)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partner?.writeAndFlush(self.unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The upstream side: forwards what it reads to the accepted connection.
private final class OutboundRelay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let partner: any Channel

    init(partner: any Channel) {
        self.partner = partner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partner.writeAndFlush(self.unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
