package import HTTP2
package import Logging
package import NIOCore
import NIOPosix
package import SwiftProtobuf

/// A gRPC client for one address: one HTTP/2 connection, opened on first use, reopened with
/// backoff after failures or GOAWAY.
///
/// Bound to one event loop. The `EventLoopFuture` API called from that loop makes no thread
/// hop (the gateway's hot path); the async API is for services.
package final class ClientConnection: Sendable {
    package struct Configuration: Sendable {
        package var http2 = HTTP2.Configuration.client
        package var connectTimeout: Duration = .seconds(5)
        package var backoff = Backoff()
        /// Calls that may wait for a connection or a free stream; more fail RESOURCE_EXHAUSTED.
        package var maxWaitingCalls = 1024

        package init() {}

        package static var defaults: Self { Self() }
    }

    package let host: String
    package let port: Int
    package let eventLoop: any EventLoop
    private let core: NIOLoopBoundBox<ClientConnectionCore>

    package init(
        host: String, port: Int, eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
        configuration: Configuration = .defaults, logger: Logger = Logger(label: "halo.rpc.client")
    ) {
        self.host = host
        self.port = port
        self.eventLoop = eventLoop
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            ClientConnectionCore(
                host: host, port: port, eventLoop: eventLoop, configuration: configuration, logger: logger),
            eventLoop: eventLoop)
    }

    // MARK: Event-loop API

    /// A unary call with a framed request; the future completes on `eventLoop`.
    package func unary(
        _ method: MethodDescriptor, framedRequest: ByteBuffer, options: CallOptions = .defaults
    )
        -> EventLoopFuture<UnaryResponse<ByteBuffer>>
    {
        let promise = self.eventLoop.makePromise(of: UnaryResponse<ByteBuffer>.self)
        self.onLoop { core in core.unary(method, request: framedRequest, options: options, promise: promise) }
        return promise.futureResult
    }

    /// A typed unary call; the future completes on `eventLoop`.
    package func unary<Request: Message, Response: Message>(
        _ method: MethodDescriptor, _ request: Request, as responseType: Response.Type = Response.self,
        options: CallOptions = .defaults
    ) -> EventLoopFuture<UnaryResponse<Response>> {
        let framed: ByteBuffer
        do {
            framed = try Self.frame(request)
        } catch {
            return self.eventLoop.makeFailedFuture(error)
        }
        return self.unary(method, framedRequest: framed, options: options).flatMapThrowing { response in
            UnaryResponse(
                message: try BufferBytes.decode(Response.self, from: response.message),
                initialMetadata: response.initialMetadata, trailingMetadata: response.trailingMetadata)
        }
    }

    // MARK: Async API

    /// A unary call; cancelling the task cancels the call.
    ///
    /// One hop to the event loop: the request head and message leave in the same write, and
    /// the call goes on without the calling task (a busy caller can't hold back its request).
    package func unary<Request: Message, Response: Message>(
        _ method: MethodDescriptor, _ request: Request, as responseType: Response.Type = Response.self,
        options: CallOptions = .defaults
    ) async throws -> Response {
        let framed = try Self.frame(request)
        let promise = self.eventLoop.makePromise(of: UnaryResponse<ByteBuffer>.self)
        let cancellation = NIOLoopBoundBox.makeBoxSendingValue(CallCancellation(), eventLoop: self.eventLoop)
        self.onLoop { core in
            core.unary(method, request: framed, options: options, promise: promise, cancellation: cancellation.value)
        }
        let response = try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            self.onLoop { _ in cancellation.value.cancel() }
        }
        return try BufferBytes.decode(Response.self, from: response.message)
    }

    /// A server-streaming call: `body` reads the responses. The request leaves with the head.
    package func serverStreaming<Request: Message, Response: Message, Result: Sendable>(
        _ method: MethodDescriptor, _ request: Request, as responseType: Response.Type = Response.self,
        options: CallOptions = .defaults, _ body: @Sendable (ResponseStream<Response>) async throws -> Result
    ) async throws -> Result {
        let framed = try Self.frame(request)
        return try await self.streamingCall(method, options: options, request: framed) {
            (_: RequestWriter<Request>, responses: ResponseStream<Response>) in
            try await body(responses)
        }
    }

    /// A client-streaming call: `body` writes the requests; the one response is returned.
    package func clientStreaming<Request: Message, Response: Message>(
        _ method: MethodDescriptor, as responseType: Response.Type = Response.self, options: CallOptions = .defaults,
        _ body: @Sendable (RequestWriter<Request>) async throws -> Void
    ) async throws -> Response {
        try await self.bidirectionalStreaming(method, as: responseType, options: options) {
            (requests: RequestWriter<Request>, responses) in
            try await body(requests)
            try await requests.finish()
            return try await Self.single(responses)
        }
    }

    /// A bidirectional-streaming call: `body` writes requests (ending them with `finish()`) and
    /// reads responses. The call is cancelled if it is still running when `body` returns or throws,
    /// and when the task is cancelled.
    package func bidirectionalStreaming<Request: Message, Response: Message, Result: Sendable>(
        _ method: MethodDescriptor, as responseType: Response.Type = Response.self, options: CallOptions = .defaults,
        _ body: @Sendable (RequestWriter<Request>, ResponseStream<Response>) async throws -> Result
    ) async throws -> Result {
        try await self.streamingCall(method, options: options, request: nil, body)
    }

    /// A streaming call; with `request`, the request side is that one message, sent with the head.
    private func streamingCall<Request: Message, Response: Message, Result: Sendable>(
        _ method: MethodDescriptor, options: CallOptions, request: ByteBuffer?,
        _ body: @Sendable (RequestWriter<Request>, ResponseStream<Response>) async throws -> Result
    ) async throws -> Result {
        let (messages, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let loop = self.eventLoop
        let call = try await loop.submit {
            NIOLoopBound(
                self.core.value.startStreamingCall(method, options: options, request: request, messages: continuation),
                eventLoop: loop)
        }.get()
        let onCall: @Sendable (@escaping @Sendable (ClientCall) -> Void) -> Void = { action in
            if loop.inEventLoop { action(call.value) } else { loop.execute { action(call.value) } }
        }
        let writer = RequestWriter<Request>(
            sink: { framed in
                try await withCheckedThrowingContinuation { written in onCall { $0.write(framed, written) } }
            },
            finisher: { onCall { $0.endRequests() } })
        let responses = ResponseStream<Response>(base: messages, consumed: { bytes in onCall { $0.consumed(bytes) } })
        return try await withTaskCancellationHandler {
            defer { onCall { $0.cancel() } }
            return try await body(writer, responses)
        } onCancel: {
            onCall { $0.cancel() }
        }
    }

    /// Closes the connection after the calls in flight (GOAWAY); new calls fail UNAVAILABLE.
    package func close() async {
        let closed = self.eventLoop.makePromise(of: Void.self)
        self.onLoop { $0.shutDown(promise: closed) }
        try? await closed.futureResult.get()
    }

    // MARK: Internals

    private func onLoop(_ body: @escaping @Sendable (ClientConnectionCore) -> Void) {
        if self.eventLoop.inEventLoop {
            body(self.core.value)
        } else {
            self.eventLoop.execute { body(self.core.value) }
        }
    }

    private static func frame(_ request: some Message) throws(RPCError) -> ByteBuffer {
        do {
            return try FramedMessage.frame(request)
        } catch {
            throw RPCError(code: .internal, message: "could not encode the request", cause: error)
        }
    }

    private static func single<Response: Message>(_ responses: ResponseStream<Response>) async throws -> Response {
        var iterator = responses.makeAsyncIterator()
        guard let response = try await iterator.next() else {
            throw RPCError(code: .internal, message: "the server sent no response message")
        }
        guard try await iterator.next() == nil else {
            throw RPCError(code: .internal, message: "the server sent more than one response message")
        }
        return response
    }
}
