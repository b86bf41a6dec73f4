import NIOCore

/// A stream's queued outbound DATA, in order. The first buffer is held inline: a unary
/// response (one buffer) queues without allocating.
struct OutboundQueue {
    private var head: ByteBuffer?
    private var rest: CircularBuffer<ByteBuffer>?

    var first: ByteBuffer? { self.head }

    mutating func append(_ buffer: ByteBuffer) {
        if self.head == nil {
            self.head = buffer
        } else {
            if self.rest == nil { self.rest = CircularBuffer(initialCapacity: 4) }
            self.rest!.append(buffer)
        }
    }

    /// Removes and returns the first buffer (there must be one).
    mutating func removeFirst() -> ByteBuffer {
        let first = self.head!
        self.head = self.rest?.popFirst()
        return first
    }

    /// Replaces the first buffer (with what is left of it).
    mutating func replaceFirst(_ buffer: ByteBuffer) {
        self.head = buffer
    }

    mutating func removeAll() {
        self.head = nil
        self.rest = nil
    }
}
