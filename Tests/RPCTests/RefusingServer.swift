import HTTP2
import NIOCore
import NIOPosix
import RPC
import Synchronization

/// An HTTP/2 server that refuses the streams `refuse` picks (by their order of arrival, from 0)
/// with RST_STREAM REFUSED_STREAM: the server never saw them, so a client may send them again.
/// It answers the others with one empty gRPC message and status OK.
final class RefusingServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let counts: Counts

    var refused: Int { self.counts.value.withLock { $0.refused } }
    var answered: Int { self.counts.value.withLock { $0.answered } }

    private init(channel: any Channel, counts: Counts) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.counts = counts
    }

    static func start(
        refusing refuse: @escaping @Sendable (Int) -> Bool, group: any EventLoopGroup
    ) async throws -> RefusingServer {
        let counts = Counts()
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let delegate = Delegate(refuse: refuse, counts: counts)
                    try channel.pipeline.syncOperations.addHandler(
                        Connection(role: .server, configuration: Configuration(), delegate: delegate))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RefusingServer(channel: channel, counts: counts)
    }

    func close() async {
        try? await self.channel.close()
    }

    /// Runs `body` with a server refusing the streams `refuse` picks, and a client for it.
    static func with(
        refusing refuse: @escaping @Sendable (Int) -> Bool,
        _ body: (RefusingServer, ClientConnection) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RefusingServer.start(refusing: refuse, group: group)
        let client = ClientConnection(host: "127.0.0.1", port: server.port, eventLoop: group.next())
        do {
            try await body(server, client)
        } catch {
            await client.close()
            await server.close()
            try? await group.shutdownGracefully()
            throw error
        }
        await client.close()
        await server.close()
        try await group.shutdownGracefully()
    }

    /// Streams refused and answered so far, across the server's connections.
    private final class Counts: Sendable {
        let value = Mutex((refused: 0, answered: 0))
    }

    private final class Delegate: ConnectionDelegate {
        let refuse: @Sendable (Int) -> Bool
        let counts: Counts

        init(refuse: @escaping @Sendable (Int) -> Bool, counts: Counts) {
            self.refuse = refuse
            self.counts = counts
        }

        func connection(
            _ connection: Connection, acceptStream stream: Stream, headers: [Header], endStream: Bool
        ) -> (any StreamHandler)? {
            let refused = self.counts.value.withLock { counts in
                let refused = self.refuse(counts.refused + counts.answered)
                if refused { counts.refused += 1 } else { counts.answered += 1 }
                return refused
            }
            // nil makes the connection reset the stream with REFUSED_STREAM.
            return refused ? nil : Answer()
        }
    }

    /// Answers at the end of the request: an empty message (an empty EchoResponse), then OK.
    private final class Answer: StreamHandler {
        func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
            if endStream { self.streamReceivedEnd(stream) }
        }

        func streamReceivedData(_ stream: Stream, data: ByteBuffer) {
            stream.consume(data.readableBytes)
        }

        func streamReceivedEnd(_ stream: Stream) {
            stream.sendHeaders(
                [Header(":status", "200"), Header("content-type", "application/grpc")], endStream: false)
            stream.write(ByteBuffer(bytes: [0, 0, 0, 0, 0]))
            stream.sendTrailers([Header("grpc-status", "0")])
        }

        func streamClosed(_ stream: Stream, reason: CloseReason) {}
    }
}
