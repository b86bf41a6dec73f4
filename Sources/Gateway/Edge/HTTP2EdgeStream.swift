import HTTP2
import NIOCore
import NIOHTTP1
import RPC

/// HTTP/2 (prior knowledge) at the edge: every stream the `HTTP2.Connection` accepts becomes one
/// exchange through the same pipeline as HTTP/1.1.
final class HTTP2EdgeDelegate: ConnectionDelegate {
    private let pipeline: any RequestPipeline
    private let limits: EdgeLimits
    private let requestIDs: RequestIDGenerator
    private let allocator: ByteBufferAllocator
    /// Takes streams that are gRPC calls (`GatewayPipeline+GRPC.swift`), when the pipeline does.
    private let grpc: (any GRPCStreamSource)?

    init(
        pipeline: any RequestPipeline, limits: EdgeLimits, requestIDs: RequestIDGenerator,
        allocator: ByteBufferAllocator
    ) {
        self.pipeline = pipeline
        self.limits = limits
        self.requestIDs = requestIDs
        self.allocator = allocator
        self.grpc = pipeline as? any GRPCStreamSource
    }

    func connection(
        _ connection: Connection, acceptStream stream: HTTP2.Stream, headers: [Header], endStream: Bool
    ) -> (any StreamHandler)? {
        if let grpc = self.grpc, let contentType = headers.first(.contentType),
            GatewayPipeline.isGRPC(contentType: contentType)
        {
            return grpc.grpcStreamHandler(requestIDs: self.requestIDs)
        }
        return HTTP2EdgeStream(
            pipeline: self.pipeline, limits: self.limits, requestIDs: self.requestIDs, allocator: self.allocator)
    }
}

/// One HTTP/2 stream's exchange: the head, a bounded body, the answer as HEADERS and DATA.
final class HTTP2EdgeStream: StreamHandler, ExchangeSink {
    enum State {
        case awaitingHead
        case readingBody(Exchange, limit: Int)
        /// Answered before the body was read: DATA still arriving is consumed and dropped.
        case discarding
        case answering(Exchange)
        case done
    }

    private let pipeline: any RequestPipeline
    private let limits: EdgeLimits
    private let requestIDs: RequestIDGenerator
    private let allocator: ByteBufferAllocator
    var state = State.awaitingHead
    var stream: HTTP2.Stream?

    init(
        pipeline: any RequestPipeline, limits: EdgeLimits, requestIDs: RequestIDGenerator,
        allocator: ByteBufferAllocator
    ) {
        self.pipeline = pipeline
        self.limits = limits
        self.requestIDs = requestIDs
        self.allocator = allocator
    }

    func streamReceivedHeaders(_ stream: HTTP2.Stream, headers: [Header], endStream: Bool) {
        guard case .awaitingHead = self.state else { return }  // trailers: ignored
        self.stream = stream
        var method: String?
        var path: String?
        var fields = HTTPHeaders()
        fields.reserveCapacity(headers.count)
        for header in headers {
            switch header.name {
            case ":method": method = header.value
            case ":path": path = header.value
            case ":authority": fields.add(name: "host", value: header.value)
            case ":scheme", ":protocol": break
            default: fields.add(name: header.name, value: header.value)
            }
        }
        let request = GatewayRequest(
            version: .http2, method: HTTPMethod(rawValue: method ?? "GET"), target: path ?? "",
            headers: fields, body: self.allocator.buffer(capacity: 0),
            requestID: self.requestIDs.requestID(echoing: fields.first(name: "x-request-id")),
            receivedAt: stream.eventLoop.now)
        let exchange = Exchange(request: request, sink: self)
        guard method != nil, path != nil else {
            self.refuse(exchange, status: 400, detail: "the request has no :method or :path")
            return
        }
        if let refusal = EdgeChecks.refusal(for: request, limits: self.limits) {
            self.refuse(exchange, status: refusal.status, detail: refusal.detail)
            return
        }
        switch self.pipeline.admit(exchange) {
        case .respond(let response):
            self.state = endStream ? .done : .discarding
            exchange.respond(response)
        case .readBody(let limit):
            if let declared = fields.first(name: "content-length").flatMap(Int.init), declared > limit {
                self.refuse(exchange, status: 413, detail: "the request body is over \(limit) bytes")
                return
            }
            self.state = .readingBody(exchange, limit: limit)
            if endStream { self.bodyComplete(exchange) }
        }
    }

    func streamReceivedData(_ stream: HTTP2.Stream, data: ByteBuffer) {
        stream.consume(data.readableBytes)
        guard case .readingBody(let exchange, let limit) = self.state else { return }
        guard exchange.request.body.readableBytes + data.readableBytes <= limit else {
            self.refuse(exchange, status: 413, detail: "the request body is over \(limit) bytes")
            return
        }
        var data = data
        exchange.request.body.writeBuffer(&data)
    }

    func streamReceivedEnd(_ stream: HTTP2.Stream) {
        if case .readingBody(let exchange, _) = self.state { self.bodyComplete(exchange) }
    }

    func streamClosed(_ stream: HTTP2.Stream, reason: CloseReason) {
        switch self.state {
        case .readingBody(let exchange, _), .answering(let exchange):
            exchange.cancel()
        case .awaitingHead, .discarding, .done:
            break
        }
        self.state = .done
        self.stream = nil
    }

    private func bodyComplete(_ exchange: Exchange) {
        self.state = .answering(exchange)
        self.pipeline.handle(exchange)
    }

    private func refuse(_ exchange: Exchange, status: Int, detail: String) {
        self.state = .discarding
        let problem = Problem(code: .invalidArgument, detail: detail, status: status)
        exchange.respond(problem.response(requestID: exchange.request.requestID, allocator: self.allocator))
    }

    func exchange(_ exchange: Exchange, respondedWith response: GatewayResponse) {
        guard let stream = self.stream else { return }
        if case .answering = self.state { self.state = .done }
        var headers: [Header] = []
        headers.reserveCapacity(response.headers.count + 3)
        headers.append(Header(":status", String(response.status)))
        for (name, value) in response.headers { headers.append(Header(name, value)) }
        if response.status != 204 {
            headers.append(Header("content-length", String(response.body.readableBytes)))
        }
        headers.append(Header("x-request-id", exchange.request.requestID))
        let hasBody = response.body.readableBytes > 0
        stream.sendHeaders(headers, endStream: !hasBody)
        if hasBody { stream.write(response.body, endStream: true) }
    }
}
