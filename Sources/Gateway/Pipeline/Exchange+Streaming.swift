import NIOCore

/// An edge that can write an answer in parts as they come (HTTP/1.1 chunked, HTTP/2 DATA): the
/// head first, then chunks, each flushed at once, then the end.
protocol StreamingExchangeSink: ExchangeSink {
    /// Writes the head: `head.status` and `head.headers` (no length: the body follows in parts).
    func exchange(_ exchange: Exchange, startedStream head: GatewayResponse)
    /// Writes and flushes one part.
    func exchange(_ exchange: Exchange, streamed chunk: ByteBuffer)
    /// Ends the body; the exchange is over.
    func exchangeEndedStream(_ exchange: Exchange)
    /// False while the connection (or stream) has more queued than it wants: the writer waits for
    /// `Exchange.onWritable` before it takes more from its source.
    var isStreamWritable: Bool { get }
}

extension Exchange {
    /// Whether the edge that read this request can stream an answer.
    var canStream: Bool { self.sink is any StreamingExchangeSink }

    /// Starts a streamed answer; later parts go through `stream(_:)`, the end through `endStream()`.
    /// A client that goes away meanwhile cancels the exchange as usual (`onCancel`).
    func startStream(_ head: GatewayResponse) {
        guard let sink = self.sink as? any StreamingExchangeSink else { return }
        sink.exchange(self, startedStream: head)
    }

    /// Writes one part of a streamed answer.
    func stream(_ chunk: ByteBuffer) {
        guard let sink = self.sink as? any StreamingExchangeSink else { return }
        sink.exchange(self, streamed: chunk)
    }

    /// Ends a streamed answer; nothing more is written.
    func endStream() {
        guard let sink = self.sink as? any StreamingExchangeSink else { return }
        self.sink = nil
        self.onCancel = nil
        self.onWritable = nil
        sink.exchangeEndedStream(self)
    }

    /// False while the edge holds more of this answer than it wants to.
    var isStreamWritable: Bool {
        (self.sink as? any StreamingExchangeSink)?.isStreamWritable ?? false
    }
}
