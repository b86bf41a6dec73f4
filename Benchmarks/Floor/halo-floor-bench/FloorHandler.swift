import NIOCore
import NIOHTTP1
import RPC

/// Answers each request when its end arrives: with the fixed buffer, or with the backend's
/// response message after one unary call. One request at a time per connection (wrk and h2load
/// wait for each answer), so answers keep their order.
final class FloorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    enum Answer {
        case fixed(ByteBuffer)
        case grpc(FloorUpstream)
    }

    private let answer: Answer
    private var keepAlive = true

    init(answer: Answer) {
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            switch self.answer {
            case .fixed(let buffer):
                self.write(buffer, context: context)
            case .grpc(let upstream):
                self.call(upstream, context: context)
            }
        }
    }

    private func call(_ upstream: FloorUpstream, context: ChannelHandlerContext) {
        let deadline = context.eventLoop.now + .seconds(5)
        upstream.subchannel.unary(upstream.method, request: upstream.framedRequest, deadline: deadline) { result in
            var out = context.channel.allocator.buffer(capacity: 160)
            switch result {
            case .success(let response):
                out.writeString("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ")
                out.writeString(String(response.message.readableBytes))
                out.writeString("\r\n\r\n")
                out.writeImmutableBuffer(response.message)
            case .failure:
                out.writeString("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            }
            self.write(out, context: context)
        }
    }

    private func write(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        context.writeAndFlush(Self.wrapOutboundOut(buffer), promise: nil)
        if !self.keepAlive { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
