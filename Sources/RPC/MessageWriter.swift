import NIOCore
package import SwiftProtobuf

/// Writes the messages of a streaming call: a server's responses or a client's requests.
///
/// `write` returns once the message is queued on the stream; it waits while the stream's
/// outbound queue is above its high watermark (backpressure from the peer's flow control).
package struct MessageWriter<Element: Message>: Sendable {
    // Both run on the caller's executor: no executor hop per message.
    let sink: nonisolated(nonsending) @Sendable (ByteBuffer) async throws -> Void
    let finisher: (nonisolated(nonsending) @Sendable () async throws -> Void)?

    init(
        sink: nonisolated(nonsending) @escaping @Sendable (ByteBuffer) async throws -> Void,
        finisher: (nonisolated(nonsending) @Sendable () async throws -> Void)? = nil
    ) {
        self.sink = sink
        self.finisher = finisher
    }

    package nonisolated(nonsending) func write(_ message: Element) async throws {
        try await self.sink(try FramedMessage.frame(message))
    }

    /// Ends the request side of a client call (a server ends its responses by returning).
    package nonisolated(nonsending) func finish() async throws {
        try await self.finisher?()
    }

    package nonisolated(nonsending) func write(contentsOf messages: some Sequence<Element>) async throws {
        for message in messages { try await self.write(message) }
    }
}

/// A server handler's response writer.
package typealias ResponseWriter<Element: Message> = MessageWriter<Element>
/// A client's request writer.
package typealias RequestWriter<Element: Message> = MessageWriter<Element>
