import HTTP2
import NIOCore
import NIOEmbedded
import Testing

@Suite("HTTP/2 connection on nghttp2")
struct ConnectionTests {
    @Test("a request and its echoed response, with trailers, close the stream normally")
    func roundTrip() throws {
        let pair = try ConnectionPair()
        let (stream, handler) = try pair.openStream()
        stream.write(ByteBuffer(string: "hello, nghttp2"), endStream: true)
        try pair.exchange()

        #expect(handler.headerBlocks.first?.first(":status") == "200")
        #expect(handler.data == ByteBuffer(string: "hello, nghttp2"))
        #expect(handler.headerBlocks.last?.first("x-echoed") == "14")
        #expect(handler.closeReason == .normal)
        #expect(pair.clientConnection.activeStreamCount == 0)
        #expect(pair.serverConnection.activeStreamCount == 0)
    }

    @Test("thousands of streams come and go on one connection")
    func manyStreams() throws {
        let pair = try ConnectionPair()
        var handlers: [RecordingHandler] = []
        for round in 0..<50 {
            for index in 0..<80 {
                let (stream, handler) = try pair.openStream()
                stream.write(ByteBuffer(string: "\(round)-\(index)"), endStream: true)
                handlers.append(handler)
            }
            try pair.exchange()
        }
        #expect(handlers.count == 4000)
        #expect(handlers.allSatisfy { $0.closeReason == .normal })
        #expect(handlers[1234].data == ByteBuffer(string: "15-34"))
        #expect(pair.serverConnection.activeStreamCount == 0)
    }

    @Test("unconsumed DATA stops the sender at the stream window; consuming resumes it")
    func inboundBackpressure() throws {
        var server = Configuration()
        server.initialStreamWindowSize = 64 * 1024
        let echo = EchoHandler()
        echo.consumes = false
        var serverStream: Stream?
        let pair = try ConnectionPair(server: server) { stream, _ in
            serverStream = stream
            return echo
        }
        let (stream, _) = try pair.openStream()
        stream.write(ByteBuffer(repeating: 7, count: 256 * 1024), endStream: true)
        try pair.exchange()
        #expect(echo.received == 64 * 1024)

        serverStream?.consume(64 * 1024)
        try pair.exchange()
        #expect(echo.received == 128 * 1024)
    }

    @Test("a stream above its write watermark reports unwritable, then writable once drained")
    func outboundBackpressure() throws {
        var server = Configuration()
        server.streamWriteHighWatermark = 16 * 1024
        var client = Configuration.client
        client.initialStreamWindowSize = 32 * 1024
        let writer = BulkWriter(bytes: 100 * 1024)
        let pair = try ConnectionPair(server: server, client: client) { _, _ in writer }
        let reader = RecordingHandler()
        reader.consumes = false
        let (stream, _) = try pair.openStream(endStream: true, handler: reader)
        try pair.exchange()
        #expect(writer.writability == [false])
        #expect(reader.data.readableBytes == 32 * 1024)

        reader.consumes = true
        stream.consume(reader.data.readableBytes)
        try pair.exchange()
        #expect(writer.writability == [false, true])
        #expect(reader.data.readableBytes == 100 * 1024)
        #expect(reader.closeReason == .normal)
    }

    @Test("graceful shutdown: GOAWAY, the open stream finishes, then the connection closes")
    func gracefulShutdown() throws {
        let pair = try ConnectionPair()
        let (stream, handler) = try pair.openStream()
        stream.write(ByteBuffer(string: "first"))
        try pair.exchange()

        pair.serverConnection.beginGracefulShutdown()
        try pair.exchange()
        pair.server.embeddedEventLoop.advanceTime(by: .seconds(1))
        try pair.exchange()
        #expect(pair.clientDelegate.goAways.count >= 1)
        #expect(pair.server.isActive)

        stream.write(ByteBuffer(string: "-last"), endStream: true)
        try pair.exchange()
        #expect(handler.closeReason == .normal)
        #expect(handler.data == ByteBuffer(string: "first-last"))
        #expect(!pair.server.isActive)
    }

    @Test("keepalive: a silent peer gets a PING; no answer within the timeout closes the connection")
    func keepalive() throws {
        var server = Configuration()
        server.keepalive = .init(interval: .seconds(10), timeout: .seconds(5))
        let pair = try ConnectionPair(server: server)
        // The first tick saw the set-up traffic; the second finds the peer silent.
        pair.server.embeddedEventLoop.advanceTime(by: .seconds(20))
        // A PING went out; the client never sees it, so nothing answers.
        let ping = try pair.server.readOutbound(as: ByteBuffer.self)
        #expect(ping.map { RawFrames.parse($0).map(\.type) } == [0x6])
        pair.server.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(!pair.server.isActive)
    }

    @Test("keepalive: an answered PING keeps the connection")
    func keepaliveAnswered() throws {
        var server = Configuration()
        server.keepalive = .init(interval: .seconds(10), timeout: .seconds(5))
        let pair = try ConnectionPair(server: server)
        for _ in 0..<3 {
            pair.server.embeddedEventLoop.advanceTime(by: .seconds(10))
            try pair.exchange()
        }
        pair.server.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(pair.server.isActive)
    }

    @Test("a connection idle past its idle timeout is closed gracefully")
    func idleTimeout() throws {
        var server = Configuration()
        server.idleTimeout = .seconds(30)
        server.keepalive = nil
        let pair = try ConnectionPair(server: server)
        pair.server.embeddedEventLoop.advanceTime(by: .seconds(31))
        try pair.exchange()
        pair.server.embeddedEventLoop.advanceTime(by: .seconds(1))
        try pair.exchange()
        #expect(pair.clientDelegate.goAways.count >= 1)
        #expect(!pair.server.isActive)
    }

    @Test("garbage instead of the connection preface closes the connection")
    func badPreface() throws {
        let server = EmbeddedChannel()
        defer { _ = try? server.finish(acceptAlreadyClosed: true) }
        try server.pipeline.syncOperations.addHandler(Connection(role: .server, delegate: nil))
        try server.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try server.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(!server.isActive)
    }

    @Test("an early response: the client ends its side and the stream closes on both ends")
    func earlyResponse() throws {
        let pair = try ConnectionPair { _, _ in EarlyResponder() }
        let finisher = FinishingHandler()
        let (stream, _) = try pair.openStream(handler: finisher)
        stream.write(ByteBuffer(string: "partial request"))
        try pair.exchange()
        #expect(finisher.closeReason == .normal)
        #expect(pair.clientConnection.activeStreamCount == 0)
        #expect(pair.serverConnection.activeStreamCount == 0)
    }

    @Test("a stream the server refuses is reset with REFUSED_STREAM")
    func refusedStream() throws {
        let pair = try ConnectionPair()
        pair.serverConnection.delegate = RecordingConnectionDelegate()
        let (_, handler) = try pair.openStream(endStream: true)
        try pair.exchange()
        #expect(handler.closeReason == .reset(.refusedStream))
    }
}
