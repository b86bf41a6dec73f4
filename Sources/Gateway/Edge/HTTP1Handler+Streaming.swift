import NIOCore

/// Streamed answers over HTTP/1.1: `transfer-encoding: chunked`, one chunk written and flushed per
/// part, the zero chunk at the end; then the connection goes on like after any answer (keep-alive,
/// the next pipelined request). The socket's writability is the backpressure.
extension HTTP1Handler: StreamingExchangeSink {
    func exchange(_ exchange: Exchange, startedStream head: GatewayResponse) {
        guard let context = self.context else { return }
        var out = context.channel.allocator.buffer(capacity: 256)
        out.writeStaticString("HTTP/1.1 ")
        out.writeString(String(head.status))
        out.writeStaticString(" ")
        out.writeString(HTTPStatusText.reason(for: head.status))
        out.writeStaticString("\r\n")
        for (name, value) in head.headers {
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("transfer-encoding: chunked\r\nx-request-id: ")
        out.writeString(exchange.request.requestID)
        out.writeStaticString("\r\n")
        if !self.keepAlive { out.writeStaticString("connection: close\r\n") }
        out.writeStaticString("\r\n")
        context.writeAndFlush(Self.wrapOutboundOut(out), promise: nil)
    }

    func exchange(_ exchange: Exchange, streamed chunk: ByteBuffer) {
        guard let context = self.context, chunk.readableBytes > 0 else { return }
        var out = context.channel.allocator.buffer(capacity: chunk.readableBytes + 12)
        out.writeString(String(chunk.readableBytes, radix: 16))
        out.writeStaticString("\r\n")
        var chunk = chunk
        out.writeBuffer(&chunk)
        out.writeStaticString("\r\n")
        context.writeAndFlush(Self.wrapOutboundOut(out), promise: nil)
    }

    func exchangeEndedStream(_ exchange: Exchange) {
        guard let context = self.context else { return }
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(staticString: "0\r\n\r\n")), promise: nil)
        if !self.keepAlive {
            self.state = .closing
            context.close(promise: nil)
            return
        }
        if case .answering = self.state {
            self.state = .idle
            self.drainWaiting(context: context)
        }
    }

    var isStreamWritable: Bool { self.context?.channel.isWritable ?? false }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .answering(let exchange) = self.state {
            exchange.onWritable?()
        }
        context.fireChannelWritabilityChanged()
    }
}
