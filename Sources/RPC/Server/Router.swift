import NIOCore
package import SwiftProtobuf

/// Maps `:path` to typed handlers. Build it once at start-up; it is immutable while serving.
package struct Router: Sendable {
    private(set) var handlers: [String: MethodHandler] = [:]

    package init() {}

    /// The registered methods, for logs and admin pages.
    package var methods: [MethodDescriptor] { self.handlers.values.map(\.descriptor).sorted { $0.path < $1.path } }

    func handler(forPath path: String) -> MethodHandler? { self.handlers[path] }

    mutating func register(_ descriptor: MethodDescriptor, _ body: @escaping MethodHandler.Body) {
        precondition(self.handlers[descriptor.path] == nil, "\(descriptor.path) registered twice")
        self.handlers[descriptor.path] = MethodHandler(descriptor: descriptor, body: body)
    }

    /// Registers a unary method.
    package mutating func unary<Request: Message, Response: Message>(
        _ descriptor: MethodDescriptor, _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
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
        _ handler: @escaping @Sendable (Request, ServerContext, ResponseWriter<Response>) async throws -> Void
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
        _ handler: @escaping @Sendable (RequestStream<Request>, ServerContext) async throws -> Response
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
            @escaping @Sendable (RequestStream<Request>, ServerContext, ResponseWriter<Response>) async throws
            -> Void
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
    typealias Body = @Sendable (RawCall) async throws -> Void

    let descriptor: MethodDescriptor
    let body: Body

    init(descriptor: MethodDescriptor, body: @escaping Body) {
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
    /// Reports request bytes taken by the handler (flow control).
    let consumed: @Sendable (Int) -> Void
    /// Queues one framed response message.
    let send: @Sendable (ByteBuffer) async throws -> Void
}
