package import NIOCore

/// What a server handler knows about its call.
package struct ServerContext: Sendable {
    /// The method called.
    package let method: MethodDescriptor
    /// Request metadata (reserved and pseudo headers removed).
    package let metadata: Metadata
    /// When the caller stops waiting, from its `grpc-timeout`; nil if it sent none.
    package let deadline: NIODeadline?
    /// The peer's address, when known.
    package let remoteAddress: SocketAddress?

    package init(method: MethodDescriptor, metadata: Metadata, deadline: NIODeadline?, remoteAddress: SocketAddress?) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.remoteAddress = remoteAddress
    }
}
