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
                inbound.eventLoop.makeCompletedFuture { self.accept(inbound) }
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

    private func accept(_ inbound: any Channel) {
        let isCut = self.state.withLock { state in
            if !state.isCut { self.track(inbound, in: &state) }
            return state.isCut
        }
        guard !isCut else {
            inbound.close(promise: nil)
            return
        }
        ClientBootstrap(group: inbound.eventLoop)
            .channelInitializer { outbound in
                outbound.eventLoop.makeCompletedFuture {
                    try outbound.pipeline.syncOperations.addHandler(Relay(partner: inbound))
                }
            }
            .connect(host: self.targetHost, port: self.targetPort)
            .whenComplete { result in
                switch result {
                case .success(let outbound):
                    let isCut = self.state.withLock { state in
                        if !state.isCut { self.track(outbound, in: &state) }
                        return state.isCut
                    }
                    do {
                        guard !isCut else { throw ChannelError.ioOnClosedChannel }
                        try inbound.pipeline.syncOperations.addHandler(Relay(partner: outbound))
                        try inbound.syncOptions?.setOption(.autoRead, value: true)
                        inbound.read()
                    } catch {
                        inbound.close(promise: nil)
                        outbound.close(promise: nil)
                    }
                case .failure:
                    inbound.close(promise: nil)
                }
            }
    }

    private func track(_ channel: any Channel, in state: inout State) {
        let id = ObjectIdentifier(channel)
        state.connections[id] = channel
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }
}

/// Writes what one side reads to the other, and closes the other when one side closes.
private final class Relay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

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
