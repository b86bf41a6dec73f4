import HTTP2
import NIOCore
import NIOEmbedded
import Testing

/// A server's GOAWAY whose last stream id is below streams in flight: the newer streams close as
/// refused on both sides (never processed, so a client may send them elsewhere), the older ones
/// carry on to their answer, and no stream opens after it.
@Suite("HTTP/2 GOAWAY below streams in flight")
struct GoAwayTests {
    @Test("streams past the last stream id are refused on both sides; the kept one is answered")
    func goAwayKeepingTheOldestStream() throws {
        var serverHandlers: [(Stream, RecordingHandler)] = []
        let pair = try ConnectionPair { stream, _ in
            let handler = RecordingHandler()
            serverHandlers.append((stream, handler))
            return handler
        }
        let clientHandlers = try (0..<3).map { _ in try pair.openStream(endStream: true).1 }
        try pair.exchange()
        #expect(serverHandlers.count == 3)

        pair.serverConnection.goAway(keepingOldestStreams: 1)
        try pair.exchange()

        #expect(pair.clientDelegate.goAways.map(\.lastStreamID) == [1])
        #expect(pair.clientDelegate.goAways.map(\.errorCode) == [.noError])
        #expect(clientHandlers.map(\.closeReason) == [nil, .reset(.refusedStream), .reset(.refusedStream)])
        #expect(serverHandlers.map(\.1.closeReason) == [nil, .reset(.refusedStream), .reset(.refusedStream)])
        #expect(!pair.clientConnection.isAcceptingStreams)
        #expect(throws: StreamError.connectionNotReady) { try pair.openStream() }

        // The kept stream is still answered, and then the connection closes.
        serverHandlers[0].0.sendHeaders([Header(":status", "200")], endStream: true)
        try pair.exchange()
        #expect(clientHandlers[0].headerBlocks.count == 1)
        #expect(clientHandlers[0].closeReason == .normal)
        #expect(!pair.server.isActive)
    }
}
