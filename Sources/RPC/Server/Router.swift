import NIOCore
package import SwiftProtobuf

/// Maps `:path` to typed handlers. Build it once at start-up; it is immutable while serving.
package struct Router: Sendable {
    private(set) var handlers: [String: MethodHandler] = [:]

    package init() {}

    /// The registered methods, for logs and admin pages.
    package var methods: [MethodDescriptor] { self.handlers.values.map(\.descriptor).sorted { $0.path < $1.path } }

    func handler(forPath path: String) -> MethodHandler? { self.handlers[path] }

    mutating func register(_ descriptor: MethodDescriptor, _ body: MethodHandler.Body) {
        precondition(self.handlers[descriptor.path] == nil, "\(descriptor.path) registered twice")
        self.handlers[descriptor.path] = MethodHandler(descriptor: descriptor, body: body)
    }

    mutating func register(_ descriptor: MethodDescriptor, _ body: @escaping MethodHandler.AsyncBody) {
        self.register(descriptor, .async(body))
    }

    /// Registers a unary method whose handler answers without suspending (from memory, a cache):
    /// it runs inline on the connection's event loop, with no Task. It must never block.
    package mutating func unaryOnEventLoop<Request: Message, Response: Message>(
        _ descriptor: MethodDescriptor, _ handler: @escaping @Sendable (Request, ServerContext) throws -> Response
    ) {
        precondition(descriptor.kind == .unary)
        self.register(
            descriptor,
            .inline { request, context in
                try FramedMessage.frame(try handler(try BufferBytes.decode(Request.self, from: request), context))
            })
    }

    /// Registers a unary method.
    package mutating func unary<Request: Message, Response: Message>(
        _ descriptor: MethodDescriptor,
        _ handler: nonisolated(nonsending) @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        precondition(descriptor.kind == .unary)
        self.register(descriptor) { call in
            let request = try BufferBytes.decode(Request.self, from: call.request!)
            let response = try await handler(request, call.context)
            try await call.send(try FramedMessage.frame(response))
        }
    }

    /// Registers a server-streaming method.
    package mutating func serverStreaming<Request: Message, Response: Message>(
        _ descriptor: MethodDescriptor,
        _ handler:
            nonisolated(nonsending) @escaping @Sendable (Request, ServerContext, ResponseWriter<Response>) async throws
            -> Void
    ) {
        precondition(descriptor.kind == .serverStreaming)
        self.register(descriptor) { call in
            let request = try BufferBytes.decode(Request.self, from: call.request!)
            try await handler(request, call.context, ResponseWriter(sink: call.send))
        }
    }

    /// Registers a client-streaming method.
    package mutating func clientStreaming<Request: Message, Response: Message>(
        _ descriptor: MethodDescriptor,
        _ handler:
            nonisolated(nonsending) @escaping @Sendable (RequestStream<Request>, ServerContext) async throws
            -> Response
    ) {
        precondition(descriptor.kind == .clientStreaming)
        self.register(descriptor) { call in
            let requests = RequestStream<Request>(base: call.requests!, consumed: call.consumed)
            let response = try await handler(requests, call.context)
            try await call.send(try FramedMessage.frame(response))
        }
    }

    /// Registers a bidirectional-streaming method.
    package mutating func bidirectionalStreaming<Request: Message, Response: Message>(
        _ descriptor: MethodDescriptor,
        _ handler:
            nonisolated(nonsending) @escaping @Sendable (
                RequestStream<Request>, ServerContext, ResponseWriter<Response>
            ) async throws -> Void
    ) {
        precondition(descriptor.kind == .bidirectionalStreaming)
        self.register(descriptor) { call in
            let requests = RequestStream<Request>(base: call.requests!, consumed: call.consumed)
            try await handler(requests, call.context, ResponseWriter(sink: call.send))
        }
    }
}

/// A registered method, erased to bytes.
final class MethodHandler: Sendable {
    /// Runs on its caller's executor (the connection's loop), with no executor hop at its start.
    typealias AsyncBody = nonisolated(nonsending) @Sendable (RawCall) async throws -> Void
    typealias InlineBody = @Sendable (ByteBuffer, ServerContext) throws -> ByteBuffer

    enum Body: Sendable {
        /// Runs in a Task pinned to the connection's event loop.
        case async(AsyncBody)
        /// A unary handler that runs on the event loop, no Task: the request in, the framed response out.
        case inline(InlineBody)
    }

    let descriptor: MethodDescriptor
    let body: Body

    init(descriptor: MethodDescriptor, body: Body) {
        self.descriptor = descriptor
        self.body = body
    }
}

/// One call as an erased handler sees it.
struct RawCall: Sendable {
    let context: ServerContext
    /// The request of a unary or server-streaming call.
    let request: ByteBuffer?
    /// The requests of a client- or bidirectional-streaming call.
    let requests: AsyncThrowingStream<ByteBuffer, any Error>?
    /// The call's state, on its event loop.
    let call: NIOLoopBound<ServerCall>

    /// Reports request bytes taken by the handler (flow control).
    @Sendable func consumed(_ bytes: Int) {
        ServerCall.onLoop(self.call) { $0.requestBytesTaken(bytes) }
    }

    /// Queues one framed response message; waits while the stream is above its watermark.
    @Sendable nonisolated(nonsending) func send(_ message: ByteBuffer) async throws {
        if self.call.eventLoop.inEventLoop, try self.call.value.writeNow(message) { return }
        let call = self.call
        try await withCheckedThrowingContinuation { continuation in
            ServerCall.onLoop(call) { $0.writeWhenWritable(message, continuation) }
        }
    }
}
