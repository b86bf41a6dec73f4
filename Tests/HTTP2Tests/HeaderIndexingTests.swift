import HTTP2
import NIOCore
import Testing

/// Fields whose value is new on every request are sent as literals, never added to the HPACK
/// dynamic table: indexed, each one evicts entries that later blocks use, and nghttp2's encoder
/// walks every entry of that name (comparing bytes) before it encodes the next one.
@Suite("HPACK indexing of per-request fields")
struct HeaderIndexingTests {
    /// Answers 200 with the request's `x-request-id` (or `x-trace`) echoed in its head.
    final class RequestIDEcho: StreamHandler {
        func streamReceivedHeaders(_ stream: Stream, headers: [Header], endStream: Bool) {
            var head = [Header(":status", "200")]
            for name in ["x-request-id", "x-trace"] {
                if let value = headers.first(name) { head.append(Header(name, value)) }
            }
            stream.sendHeaders(head, endStream: true)
        }
        func streamReceivedData(_ stream: Stream, data: ByteBuffer) { stream.consume(data.readableBytes) }
        func streamReceivedEnd(_ stream: Stream) {}
        func streamClosed(_ stream: Stream, reason: CloseReason) {}
    }

    /// Sends `count` requests, each with a new value of `field`, answered by `RequestIDEcho`.
    private func send(_ count: Int, field: String, pair: ConnectionPair) throws -> [RecordingHandler] {
        var handlers: [RecordingHandler] = []
        for index in 0..<count {
            let value = "3f1c9a4e-\(index)-7b2d-4c1e-9a0f-\(100_000 + index)"
            let (_, handler) = try pair.openStream(extraHeaders: [Header(field, value)], endStream: true)
            handlers.append(handler)
            try pair.exchange()
        }
        return handlers
    }

    @Test("request ids and timeouts stay out of both sides' dynamic tables, and arrive intact")
    func uniqueFieldsAreNotIndexed() throws {
        for field in ["x-request-id", "grpc-timeout"] {
            let pair = try ConnectionPair(handler: { _, _ in RequestIDEcho() })
            let handlers = try self.send(200, field: field, pair: pair)
            // The constant fields (`:path`, `:authority`) are indexed once; 200 new values of 50
            // bytes would fill the 4096-byte table.
            #expect(pair.clientConnection.headerTableSizes.encoder < 200, "\(field)")
            #expect(pair.serverConnection.headerTableSizes.decoder < 200, "\(field)")
            if field == "x-request-id" {
                // The answer's echo is not indexed either.
                #expect(pair.serverConnection.headerTableSizes.encoder < 200)
                #expect(pair.clientConnection.headerTableSizes.decoder < 200)
                #expect(handlers[137].headerBlocks.first?.first("x-request-id") == "3f1c9a4e-137-7b2d-4c1e-9a0f-100137")
            }
            #expect(handlers.allSatisfy { $0.closeReason == .normal })
        }
    }

    @Test("other fields are indexed as nghttp2 decides (the comparison the test above needs)")
    func otherFieldsAreIndexed() throws {
        let pair = try ConnectionPair(handler: { _, _ in RequestIDEcho() })
        let handlers = try self.send(200, field: "x-trace", pair: pair)
        #expect(pair.serverConnection.headerTableSizes.decoder > 3000)
        #expect(handlers[42].headerBlocks.first?.first("x-trace") == "3f1c9a4e-42-7b2d-4c1e-9a0f-100042")
    }
}
