import HTTP2
import NIOCore

/// Streamed answers over HTTP/2: the head as HEADERS without a length, each part as DATA, the end
/// as an empty DATA with END_STREAM. The stream's write queue (its high watermark, and under it
/// the peer's flow-control window) is the backpressure.
extension HTTP2EdgeStream: StreamingExchangeSink {
    func exchange(_ exchange: Exchange, startedStream head: GatewayResponse) {
        guard let stream = self.stream else { return }
        var headers: [Header] = []
        headers.reserveCapacity(head.headers.count + 2)
        headers.append(Header(":status", String(head.status)))
        for (name, value) in head.headers { headers.append(Header(name, value)) }
        headers.append(Header("x-request-id", exchange.request.requestID))
        stream.sendHeaders(headers, endStream: false)
    }

    func exchange(_ exchange: Exchange, streamed chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        self.stream?.write(chunk)
    }

    func exchangeEndedStream(_ exchange: Exchange) {
        if case .answering = self.state { self.state = .done }
        self.stream?.write(ByteBuffer(), endStream: true)
    }

    var isStreamWritable: Bool { self.stream?.isWritable ?? false }

    func streamWritabilityChanged(_ stream: HTTP2.Stream, isWritable: Bool) {
        guard isWritable, case .answering(let exchange) = self.state else { return }
        exchange.onWritable?()
    }
}
