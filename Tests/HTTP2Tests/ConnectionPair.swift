import HTTP2
import NIOCore
import NIOEmbedded

/// A client and a server `Connection` joined through two EmbeddedChannels: `exchange()` moves
/// bytes both ways until neither side has anything to say.
final class ConnectionPair {
    let client = EmbeddedChannel()
    let server = EmbeddedChannel()
    let clientConnection: Connection
    let serverConnection: Connection
    let serverDelegate: TestServerDelegate
    let clientDelegate = RecordingConnectionDelegate()

    init(
        server serverConfiguration: Configuration = Configuration(),
        client clientConfiguration: Configuration = .client,
        handler: @escaping (Stream, [Header]) -> any StreamHandler = { _, _ in EchoHandler() }
    ) throws {
        self.serverDelegate = TestServerDelegate(makeHandler: handler)
        self.serverConnection = Connection(
            role: .server, configuration: serverConfiguration, delegate: self.serverDelegate)
        self.clientConnection = Connection(
            role: .client, configuration: clientConfiguration, delegate: self.clientDelegate)
        try self.server.pipeline.syncOperations.addHandler(self.serverConnection)
        try self.client.pipeline.syncOperations.addHandler(self.clientConnection)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 8080)
        try self.server.connect(to: address).wait()
        try self.client.connect(to: address).wait()
        try self.exchange()
    }

    deinit {
        // Closing runs the handlers' teardown, which breaks the stream <-> handler references.
        _ = try? self.client.finish(acceptAlreadyClosed: true)
        _ = try? self.server.finish(acceptAlreadyClosed: true)
    }

    /// Moves bytes until both sides are quiet (or a side closed).
    func exchange() throws {
        for _ in 0..<10_000 {
            self.client.embeddedEventLoop.run()
            self.server.embeddedEventLoop.run()
            var moved = false
            // A side that closed may still have its last bytes (a GOAWAY) to deliver.
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

    /// Opens a client stream with a simple request head.
    func openStream(
        path: String = "/test", extraHeaders: [Header] = [], endStream: Bool = false
    ) throws -> (Stream, RecordingHandler) {
        try self.openStream(path: path, extraHeaders: extraHeaders, endStream: endStream, handler: RecordingHandler())
    }

    /// Opens a client stream handled by `handler`.
    func openStream<Handler: StreamHandler>(
        path: String = "/test", extraHeaders: [Header] = [], endStream: Bool = false, handler: Handler
    ) throws -> (Stream, Handler) {
        let headers =
            [
                Header(":method", "POST"), Header(":scheme", "http"), Header(":path", path),
                Header(":authority", "test"),
            ] + extraHeaders
        let stream = try self.clientConnection.openStream(headers: headers, endStream: endStream, handler: handler)
        return (stream, handler)
    }
}

/// Server side: every accepted stream gets a handler from `makeHandler`.
final class TestServerDelegate: ConnectionDelegate {
    let makeHandler: (Stream, [Header]) -> any StreamHandler
    var accepted = 0

    init(makeHandler: @escaping (Stream, [Header]) -> any StreamHandler) { self.makeHandler = makeHandler }

    func connection(
        _ connection: Connection, acceptStream stream: Stream, headers: [Header], endStream: Bool
    )
        -> (any StreamHandler)?
    {
        self.accepted += 1
        return self.makeHandler(stream, headers)
    }
}

final class RecordingConnectionDelegate: ConnectionDelegate {
    var goAways: [(lastStreamID: Int32, errorCode: ErrorCode)] = []
    var closed = false

    func connection(_ connection: Connection, receivedGoAway lastStreamID: Int32, errorCode: ErrorCode) {
        self.goAways.append((lastStreamID, errorCode))
    }

    func connectionClosed(_ connection: Connection) { self.closed = true }
}

/// Records everything a stream receives; consumes DATA unless told not to.
final class RecordingHandler: StreamHandler {
    var headerBlocks: [[Header]] = []
    var data = ByteBuffer()
    var ended = false
    var closeReason: CloseReason?
    var writability: [Bool] = []
    var consumes = true

    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        self.headerBlocks.append(headers)
        if endStream { self.ended = true }
    }

    func streamReceivedData(_ stream: Stream, data: ByteBuffer) {
        let count = data.readableBytes
        var data = data
        self.data.writeBuffer(&data)
        if self.consumes { stream.consume(count) }
    }

    func streamReceivedEnd(_ stream: Stream) { self.ended = true }
    func streamClosed(_ stream: Stream, reason: CloseReason) { self.closeReason = reason }
    func streamWritabilityChanged(_ stream: Stream, isWritable: Bool) { self.writability.append(isWritable) }
}

/// Server handler: answers 200, echoes DATA back, and ends with a trailer when the request ends.
final class EchoHandler: StreamHandler {
    var consumes = true
    var received = 0

    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        stream.sendHeaders([Header(":status", "200")], endStream: false)
        if endStream { stream.sendTrailers([Header("x-echoed", "0")]) }
    }

    func streamReceivedData(_ stream: Stream, data: ByteBuffer) {
        self.received += data.readableBytes
        if self.consumes { stream.consume(data.readableBytes) }
        stream.write(data)
    }

    func streamReceivedEnd(_ stream: Stream) {
        stream.sendTrailers([Header("x-echoed", String(self.received))])
    }

    func streamClosed(_ stream: Stream, reason: CloseReason) {}
}

/// Server handler: answers one request with `bytes` of DATA, recording its writability changes.
final class BulkWriter: StreamHandler {
    let bytes: Int
    var writability: [Bool] = []

    init(bytes: Int) { self.bytes = bytes }

    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        stream.sendHeaders([Header(":status", "200")], endStream: false)
        stream.write(ByteBuffer(repeating: 1, count: self.bytes), endStream: true)
    }

    func streamReceivedData(_ stream: Stream, data: ByteBuffer) { stream.consume(data.readableBytes) }
    func streamReceivedEnd(_ stream: Stream) {}
    func streamClosed(_ stream: Stream, reason: CloseReason) {}
    func streamWritabilityChanged(_ stream: Stream, isWritable: Bool) { self.writability.append(isWritable) }
}

/// Server handler: answers with a trailers-only response as soon as the head arrives.
final class EarlyResponder: StreamHandler {
    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        stream.sendTrailers([Header(":status", "200"), Header("x-early", "1")])
    }
    func streamReceivedData(_ stream: Stream, data: ByteBuffer) { stream.consume(data.readableBytes) }
    func streamReceivedEnd(_ stream: Stream) {}
    func streamClosed(_ stream: Stream, reason: CloseReason) {}
}

/// Client handler: ends its side once the response is complete, as the RPC client does.
final class FinishingHandler: StreamHandler {
    var closeReason: CloseReason?
    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        if endStream { stream.finishOutbound() }
    }
    func streamReceivedData(_ stream: Stream, data: ByteBuffer) { stream.consume(data.readableBytes) }
    func streamReceivedEnd(_ stream: Stream) { stream.finishOutbound() }
    func streamClosed(_ stream: Stream, reason: CloseReason) { self.closeReason = reason }
}
