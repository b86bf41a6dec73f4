import HTTP2
import NIOCore
import NIOEmbedded

/// A client and a server HTTP/2 `Connection` joined through two EmbeddedChannels; the server
/// side keeps each request stream for the test to answer by hand. `exchange()` moves bytes both
/// ways until neither side has anything to say.
final class EmbeddedPair {
    let client = EmbeddedChannel()
    let server = EmbeddedChannel()
    let clientConnection: Connection
    let serverConnection: Connection
    let serverDelegate = ManualServer()

    init() throws {
        self.serverConnection = Connection(role: .server, delegate: self.serverDelegate)
        self.clientConnection = Connection(role: .client, configuration: .client, delegate: nil)
        try self.server.pipeline.syncOperations.addHandler(self.serverConnection)
        try self.client.pipeline.syncOperations.addHandler(self.clientConnection)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 8080)
        try self.server.connect(to: address).wait()
        try self.client.connect(to: address).wait()
        try self.exchange()
    }

    deinit {
        _ = try? self.client.finish(acceptAlreadyClosed: true)
        _ = try? self.server.finish(acceptAlreadyClosed: true)
    }

    func exchange() throws {
        for _ in 0..<10_000 {
            self.client.embeddedEventLoop.run()
            self.server.embeddedEventLoop.run()
            var moved = false
            while let bytes = try self.client.readOutbound(as: ByteBuffer.self) {
                if self.server.isActive { try self.server.writeInbound(bytes) }
                moved = true
            }
            while let bytes = try self.server.readOutbound(as: ByteBuffer.self) {
                if self.client.isActive { try self.client.writeInbound(bytes) }
                moved = true
            }
            if !moved { return }
        }
    }
}

/// Accepts every stream and keeps it; records what arrived.
final class ManualServer: ConnectionDelegate {
    final class Request: StreamHandler {
        let stream: Stream
        let headers: [Header]
        var body = ByteBuffer()
        var ended = false
        var closeReason: CloseReason?

        init(stream: Stream, headers: [Header]) {
            self.stream = stream
            self.headers = headers
        }

        func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {}
        func streamReceivedData(_ stream: Stream, data: ByteBuffer) {
            var data = data
            let count = data.readableBytes
            self.body.writeBuffer(&data)
            stream.consume(count)
        }
        func streamReceivedEnd(_ stream: Stream) { self.ended = true }
        func streamClosed(_ stream: Stream, reason: CloseReason) { self.closeReason = reason }

        /// Answers with one message and OK.
        func respond(_ message: String, initialMetadata: [Header] = []) {
            self.stream.sendHeaders(
                [Header(":status", "200"), Header("content-type", "application/grpc")] + initialMetadata,
                endStream: false)
            var framed = ByteBuffer()
            framed.writeInteger(UInt8(0))
            framed.writeInteger(UInt32(message.utf8.count))
            framed.writeString(message)
            self.stream.write(framed)
            self.stream.sendTrailers([Header("grpc-status", "0")])
        }
    }

    var requests: [Request] = []

    func connection(
        _ connection: Connection, acceptStream stream: Stream, headers: [Header], endStream: Bool
    ) -> (any StreamHandler)? {
        let request = Request(stream: stream, headers: headers)
        self.requests.append(request)
        return request
    }
}
