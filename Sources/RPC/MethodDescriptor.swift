package import HTTP2

/// A gRPC method: its service, its name and its shape. Its `:path` is built once, here, not per call.
package struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable { case unary, serverStreaming, clientStreaming, bidirectionalStreaming }

    /// Fully qualified service name, e.g. `halo.video.v1.VideoService`.
    package let service: String
    package let method: String
    package let kind: Kind
    /// Safe to retry: the method has no side effects, or repeating it has the same effect.
    package let isIdempotent: Bool

    package init(service: String, method: String, kind: Kind = .unary, isIdempotent: Bool = false) {
        self.service = service
        self.method = method
        self.kind = kind
        self.isIdempotent = isIdempotent
        self.path = "/\(service)/\(method)"
        self.pathHeader = Header(":path", self.path)
    }

    /// The HTTP/2 `:path`, e.g. `/halo.video.v1.VideoService/GetVideo`.
    package let path: String
    /// The `:path` header field every call of this method sends.
    package let pathHeader: Header
    package var description: String { self.path }
}
