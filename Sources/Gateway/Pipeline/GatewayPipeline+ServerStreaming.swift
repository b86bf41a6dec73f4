import NIOCore
import NIOHTTP1
import RPC
import Upstream

extension GatewayPipeline {
    /// A server-streaming route: the answer streams as SSE or NDJSON (`ServerStreamingCall`).
    func callStreaming(
        _ exchange: Exchange, binding: GatewayState.Binding, state: GatewayState, pool: LoopPool,
        request: ByteBuffer, metadata: Metadata, deadline: NIODeadline
    ) {
        guard exchange.canStream,
            let format = StreamFormat.negotiate(accept: exchange.request.headers.first(name: "accept"))
        else {
            self.respond(
                exchange,
                Problem(
                    code: .invalidArgument, detail: "this route answers text/event-stream or application/x-ndjson",
                    status: 406
                )
                .response(requestID: exchange.request.requestID))
            return
        }
        let call = ServerStreamingCall(
            pipeline: self, exchange: exchange, binding: binding, transcoder: state.transcoder, format: format,
            allocator: ByteBufferAllocator())
        call.start(pool: pool, request: request, metadata: metadata, deadline: deadline)
    }

    /// A streaming route's `Accept` must allow SSE or NDJSON (406 otherwise).
    static func streamRefusal(_ request: GatewayRequest) -> Problem? {
        guard StreamFormat.negotiate(accept: request.headers.first(name: "accept")) == nil else { return nil }
        return Problem(
            code: .invalidArgument, detail: "this route answers text/event-stream or application/x-ndjson", status: 406)
    }
}
