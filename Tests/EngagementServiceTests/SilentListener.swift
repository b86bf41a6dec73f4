import NIOCore
import NIOPosix

/// A TCP listener that accepts connections and never answers: a hung backend.
final class SilentListener: Sendable {
    let port: Int
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> SilentListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentListener(channel: channel)
    }

    func close() async {
        try? await self.channel.close()
    }
}
