/// Per-call settings.
package struct CallOptions: Sendable {
    /// How long the caller waits; sent upstream as `grpc-timeout`. Nil: no deadline.
    package var timeout: Duration?
    /// Request metadata.
    package var metadata: Metadata
    /// Largest response message accepted.
    package var maxResponseMessageSize: Int

    package init(timeout: Duration? = nil, metadata: Metadata = Metadata(), maxResponseMessageSize: Int = 4 << 20) {
        self.timeout = timeout
        self.metadata = metadata
        self.maxResponseMessageSize = maxResponseMessageSize
    }

    package static var defaults: Self { Self() }
}

/// A unary response with the metadata that came with it.
package struct UnaryResponse<Message: Sendable>: Sendable {
    package var message: Message
    package var initialMetadata: Metadata
    package var trailingMetadata: Metadata
}
