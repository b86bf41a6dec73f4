package import NIOCore
package import SwiftProtobuf

/// A request message built in place behind 5 reserved bytes, so the gRPC length prefix is
/// written into the same buffer: serialized bytes go on the wire without a copy.
///
/// Write the serialized protobuf after `init` (`buffer.writeBytes`, a transcoder writing into
/// it); `framed()` fills in the prefix. The framed buffer can be sent again (a retry) as it is.
package struct RequestMessage: Sendable {
    /// The 5 reserved bytes, then the message bytes written so far.
    package var buffer: ByteBuffer

    /// An empty message with `capacity` bytes reserved after the prefix.
    package init(allocator: ByteBufferAllocator = ByteBufferAllocator(), capacity: Int = 256) {
        self.buffer = allocator.buffer(capacity: capacity + 5)
        self.buffer.writeRepeatingByte(0, count: 5)
    }

    /// A typed message, serialized straight into a buffer with its prefix (no intermediate copy).
    package init(_ message: some Message) throws(RPCError) {
        do {
            self.buffer = try FramedMessage.frame(message)
        } catch {
            throw RPCError(code: .internal, message: "could not encode the request", cause: error)
        }
    }

    /// Bytes of the message itself.
    package var messageLength: Int { self.buffer.readableBytes - 5 }

    /// The buffer with the prefix set (uncompressed flag and length): what goes on the wire.
    package mutating func framed() -> ByteBuffer {
        let start = self.buffer.readerIndex
        self.buffer.setInteger(UInt8(0), at: start)
        self.buffer.setInteger(UInt32(self.messageLength), at: start + 1)
        return self.buffer
    }
}
