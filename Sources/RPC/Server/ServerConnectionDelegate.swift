import HTTP2
import Logging
import NIOCore

/// Accepts the streams of one server connection as gRPC calls.
final class ServerConnectionDelegate: ConnectionDelegate {
    private let router: Router
    private let executor: EventLoopTaskExecutor
    private let maxMessageSize: Int
    private let remoteAddress: SocketAddress?
    private let logger: Logger

    init(router: Router, eventLoop: any EventLoop, maxMessageSize: Int, remoteAddress: SocketAddress?, logger: Logger) {
        self.router = router
        self.executor = EventLoopTaskExecutor(eventLoop: eventLoop)
        self.maxMessageSize = maxMessageSize
        self.remoteAddress = remoteAddress
        self.logger = logger
    }

    func connection(
        _ connection: Connection, acceptStream stream: Stream, headers: [Header], endStream: Bool
    )
        -> (any StreamHandler)?
    {
        ServerCall(
            router: self.router, executor: self.executor, maxMessageSize: self.maxMessageSize,
            remoteAddress: self.remoteAddress, logger: self.logger)
    }
}
