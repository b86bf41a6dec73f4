import NIOCore
package import SwiftProtobuf

/// A stream of received messages, in order: a server's requests or a client's responses.
///
/// Receive window is given back to the peer as messages are taken, so a slow consumer slows
/// the sender (HTTP/2 flow control) instead of growing a buffer.
package struct MessageStream<Element: Message>: AsyncSequence, Sendable {
    let base: AsyncThrowingStream<ByteBuffer, any Error>
    let consumed: @Sendable (Int) -> Void

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let consumed: @Sendable (Int) -> Void

        package mutating func next() async throws -> Element? {
            guard let buffer = try await self.base.next() else {
                // A cancelled task's stream ends early: that is not the end of the messages.
                if Task.isCancelled { throw RPCError(code: .cancelled, message: "the call was cancelled") }
                return nil
            }
            self.consumed(buffer.readableBytes + 5)
            return try BufferBytes.decode(Element.self, from: buffer)
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), consumed: self.consumed)
    }
}

/// A server handler's request messages.
package typealias RequestStream<Element: Message> = MessageStream<Element>
/// A client's response messages.
package typealias ResponseStream<Element: Message> = MessageStream<Element>
