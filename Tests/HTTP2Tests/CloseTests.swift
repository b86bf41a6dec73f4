import HTTP2
import NIOCore
import NIOEmbedded
import Testing

/// A connection that closes while streams still have DATA queued: nghttp2 holds those streams as
/// data sources, so any flush after the close would read freed streams (run under
/// AddressSanitizer by `make test-asan`).
@Suite("HTTP/2 connection close with streams in flight")
struct CloseTests {
    @Test("client: writes queued before close are dropped, every stream is told once, nothing flushes after")
    func clientCloseWithQueuedWrites() throws {
        let pair = try ConnectionPair()
        var handlers: [CountingHandler] = []
        for index in 0..<20 {
            let handler = CountingHandler()
            // The stream itself is not kept: after close only nghttp2 would still point at it.
            _ = try pair.openStream(handler: handler).0.write(ByteBuffer(string: "request \(index)"))
            handlers.append(handler)
        }
        // The flush those writes scheduled has not run: close first, then let it run.
        pair.client.pipeline.close(promise: nil)
        pair.client.embeddedEventLoop.run()

        #expect(handlers.allSatisfy { $0.closes == [.connectionLost] })
        #expect(pair.clientConnection.activeStreamCount == 0)
        #expect(try pair.client.readOutbound(as: ByteBuffer.self) == nil)
        #expect(!pair.clientConnection.isAcceptingStreams)
        #expect(throws: StreamError.connectionNotReady) { try pair.openStream() }
    }

    @Test("server: responses queued before close are dropped, and late writes are ignored")
    func serverCloseWithQueuedResponses() throws {
        var serverStreams: [Stream] = []
        let pair = try ConnectionPair { stream, _ in
            serverStreams.append(stream)
            return CountingHandler()
        }
        for _ in 0..<20 { _ = try pair.openStream().0.write(ByteBuffer(string: "ping")) }
        try pair.exchange()
        #expect(serverStreams.count == 20)

        for stream in serverStreams {
            stream.sendHeaders([Header(":status", "200")], endStream: false)
            stream.write(ByteBuffer(repeating: 1, count: 1000))
        }
        pair.server.pipeline.close(promise: nil)
        // A handler that still holds its stream writes after the close: nothing may reach nghttp2.
        for stream in serverStreams {
            stream.write(ByteBuffer(repeating: 2, count: 1000), endStream: true)
            stream.consume(4)
            stream.reset(.cancel)
        }
        pair.server.embeddedEventLoop.run()

        #expect(pair.serverConnection.activeStreamCount == 0)
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test("a handler that closes the channel from inside a read leaves no stream behind")
    func closeFromInsideRead() throws {
        let closer = ClosingHandler()
        let pair = try ConnectionPair { _, _ in closer }
        closer.channel = pair.server
        var handlers: [CountingHandler] = []
        for _ in 0..<5 {
            let handler = CountingHandler()
            _ = try pair.openStream(handler: handler).0.write(ByteBuffer(string: "x"), endStream: true)
            handlers.append(handler)
        }
        try pair.exchange()
        #expect(!pair.server.isActive)
        #expect(pair.serverConnection.activeStreamCount == 0)
        // The client learns of it when its own socket closes: each of its streams is told once.
        pair.client.pipeline.close(promise: nil)
        pair.client.embeddedEventLoop.run()
        #expect(handlers.allSatisfy { $0.closes.count == 1 })
    }
}

/// Records how a stream closed; consumes what it reads.
final class CountingHandler: StreamHandler {
    var closes: [CloseReason] = []
    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {}
    func streamReceivedData(_ stream: Stream, data: ByteBuffer) { stream.consume(data.readableBytes) }
    func streamReceivedEnd(_ stream: Stream) {}
    func streamClosed(_ stream: Stream, reason: CloseReason) { self.closes.append(reason) }
}

/// Server handler: answers with a body, then closes the whole connection from inside the read.
final class ClosingHandler: StreamHandler {
    var channel: (any Channel)?
    func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
        stream.sendHeaders([Header(":status", "200")], endStream: false)
        stream.write(ByteBuffer(repeating: 3, count: 100))
        self.channel?.close(promise: nil)
    }
    func streamReceivedData(_ stream: Stream, data: ByteBuffer) {}
    func streamReceivedEnd(_ stream: Stream) {}
    func streamClosed(_ stream: Stream, reason: CloseReason) {}
}
