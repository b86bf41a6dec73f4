import NIOCore
import NIOHTTP1
import RPC

/// HTTP/1.1 at the edge: requests from SwiftNIO's decoder, answers written as one preformatted
/// buffer (no response encoder in the pipeline), keep-alive, and pipelined requests answered in
/// order: while one request is being answered, later ones wait (and reading stops) until it is.
///
/// Everything runs on the connection's event loop. Malformed requests (the decoder's errors,
/// conflicting Content-Length and Transfer-Encoding) get 400 and the connection closes, so no
/// smuggled request can follow; limits give 413, 414 and 431.
final class HTTP1Handler: ChannelDuplexHandler, ExchangeSink {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    enum State {
        /// Waiting for a request head.
        case idle
        /// Reading the body of an admitted request, up to `limit` bytes.
        case readingBody(Exchange, limit: Int)
        /// Answered before its body was read: the rest of the body is dropped, up to an allowance.
        case discardingBody(allowance: Int)
        /// The body is complete; the pipeline is answering.
        case answering(Exchange)
        /// Closing: nothing more is read or answered.
        case closing
    }

    private let pipeline: any RequestPipeline
    private let limits: EdgeLimits
    private let requestIDs: RequestIDGenerator
    /// The loop's answer buffer, shared by its connections (one answer is written at a time).
    private let output: ResponseOutputBuffer
    var state = State.idle
    var keepAlive = true
    /// Parts of pipelined requests that arrived while an earlier one was being answered.
    private var waiting = CircularBuffer<HTTPServerRequestPart>()
    private var readHeld = false
    var context: ChannelHandlerContext?

    init(
        pipeline: any RequestPipeline, limits: EdgeLimits, requestIDs: RequestIDGenerator,
        output: ResponseOutputBuffer
    ) {
        self.pipeline = pipeline
        self.limits = limits
        self.requestIDs = requestIDs
        self.output = output
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = Self.unwrapInboundIn(data)
        if case .closing = self.state { return }
        if self.waiting.isEmpty {
            self.process(part, context: context)
        } else {
            // Earlier parts still wait for their turn: keep the order.
            self.waiting.append(part)
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (self.state, part) {
        case (.idle, .head(let head)):
            self.begin(head, context: context)
        case (.readingBody(let exchange, let limit), .body(var chunk)):
            guard exchange.request.body.readableBytes + chunk.readableBytes <= limit else {
                self.refuse(exchange, status: 413, detail: "the request body is over \(limit) bytes", context: context)
                return
            }
            exchange.request.body.writeBuffer(&chunk)
        case (.readingBody(let exchange, _), .end):
            self.state = .answering(exchange)
            self.pipeline.handle(exchange)
        case (.discardingBody(let allowance), .body(let chunk)):
            guard chunk.readableBytes <= allowance else {
                self.closeNow(context: context)
                return
            }
            self.state = .discardingBody(allowance: allowance - chunk.readableBytes)
        case (.discardingBody, .end):
            self.state = .idle
            self.drainWaiting(context: context)
        case (.answering, _):
            self.waiting.append(part)
        default:
            // A part out of order: the decoder never does this; treat it as a broken connection.
            self.closeNow(context: context)
        }
    }

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        self.keepAlive = head.isKeepAlive
        let requestID = self.requestIDs.requestID(echoing: head.headers.first(name: "x-request-id"))
        let request = GatewayRequest(
            version: .http1_1, method: head.method, target: head.uri, headers: head.headers,
            body: context.channel.allocator.buffer(capacity: 0), requestID: requestID,
            receivedAt: context.eventLoop.now)
        let exchange = Exchange(request: request, sink: self)

        if let refusal = EdgeChecks.refusal(for: request, limits: self.limits) {
            self.refuse(exchange, status: refusal.status, detail: refusal.detail, context: context)
            return
        }
        switch self.pipeline.admit(exchange) {
        case .respond(let response):
            self.state = .discardingBody(allowance: self.limits.maxDiscardedBodyBytes)
            exchange.respond(response)
        case .readBody(let limit):
            if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > limit {
                self.refuse(exchange, status: 413, detail: "the request body is over \(limit) bytes", context: context)
                return
            }
            self.state = .readingBody(exchange, limit: limit)
        }
    }

    /// Answers with a problem and closes the connection after it. A body still arriving after a
    /// 413 is read and dropped up to `lingerAllowance` first (a lingering close), so the client,
    /// still sending, can read the answer instead of a reset; other refusals close at once.
    private func refuse(_ exchange: Exchange, status: Int, detail: String, context: ChannelHandlerContext) {
        self.keepAlive = false
        self.state = .discardingBody(allowance: status == 413 ? self.limits.lingerAllowance : 0)
        let problem = Problem(code: .invalidArgument, detail: detail, status: status)
        exchange.respond(problem.response(requestID: exchange.request.requestID, allocator: context.channel.allocator))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        // A request the decoder cannot read (including conflicting framing headers): one 400,
        // then close, so nothing after it can be read as a request of its own.
        if case .answering = self.state {
            self.closeNow(context: context)
            return
        }
        self.keepAlive = false
        self.state = .closing
        // The decoder's own bound on the head (about 80 KB) is the one header limit it enforces
        // before we see the head: that is 431, like ours.
        let problem =
            (error as? HTTPParserError) == .headerOverflow
            ? Problem(code: .invalidArgument, detail: "the request head is too large", status: 431)
            : Problem(code: .invalidArgument, detail: "the request is not valid HTTP/1.1", status: 400)
        let response = problem.response(requestID: self.requestIDs.requestID(echoing: nil))
        self.write(response, requestID: "", context: context)
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Graceful shutdown: an idle connection closes now; a busy one after its answer.
        self.keepAlive = false
        self.waiting.removeAll()
        if case .idle = self.state { self.closeNow(context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch self.state {
        case .readingBody(let exchange, _), .answering(let exchange):
            exchange.cancel()
        case .idle, .discardingBody, .closing:
            break
        }
        self.state = .closing
        self.waiting.removeAll()
        context.fireChannelInactive()
    }

    // MARK: Backpressure

    func read(context: ChannelHandlerContext) {
        if self.waiting.isEmpty {
            context.read()
        } else {
            self.readHeld = true
        }
    }

    /// Replays parts that waited while an earlier request was answered, until one is being
    /// answered again (or the connection closes); then reading resumes once nothing waits.
    func drainWaiting(context: ChannelHandlerContext) {
        if case .idle = self.state, !self.keepAlive {
            self.closeNow(context: context)
            return
        }
        while let part = self.waiting.first {
            switch self.state {
            case .answering, .closing:
                return
            case .idle, .readingBody, .discardingBody:
                self.waiting.removeFirst()
                self.process(part, context: context)
            }
        }
        if self.readHeld {
            self.readHeld = false
            context.read()
        }
    }

    private func closeNow(context: ChannelHandlerContext) {
        self.state = .closing
        context.close(promise: nil)
    }

    // MARK: Answers

    func exchange(_ exchange: Exchange, respondedWith response: GatewayResponse) {
        guard let context = self.context else { return }
        self.write(response, requestID: exchange.request.requestID, context: context)
        if !self.keepAlive {
            // A lingering close waits for the end of the body being dropped.
            if case .discardingBody(let allowance) = self.state, allowance > 0 { return }
            self.state = .closing
            context.close(promise: nil)
            return
        }
        if case .answering = self.state {
            self.state = .idle
            self.drainWaiting(context: context)
        }
    }

    private func write(_ response: GatewayResponse, requestID: String, context: ChannelHandlerContext) {
        var out = self.output.take(capacity: 256 + response.body.readableBytes)
        HTTP1ResponseHead.write(response, requestID: requestID, keepAlive: self.keepAlive, into: &out)
        out.writeImmutableBuffer(response.body)
        context.writeAndFlush(Self.wrapOutboundOut(out), promise: nil)
        self.output.keep(out)
    }
}
