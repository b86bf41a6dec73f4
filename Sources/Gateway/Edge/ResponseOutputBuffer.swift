import NIOCore

/// One event loop's output buffer, reused from one answer to the next.
///
/// `take` hands the buffer out emptied; the caller writes an answer into it, gives it to the
/// channel, and hands it back with `keep`. Once the socket has taken the bytes the channel lets
/// go, the storage is ours alone again, and the next `take` reuses it instead of allocating. If a
/// write is still pending (a slow reader), the storage is shared and `take` gets fresh storage
/// (copy-on-write): an answer waiting in the channel is never overwritten.
final class ResponseOutputBuffer {
    /// Storage above this is not kept between answers: one large answer must not pin memory.
    static let keptCapacity = 64 << 10

    private var buffer: ByteBuffer
    private let allocator: ByteBufferAllocator

    init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.allocator = allocator
        self.buffer = allocator.buffer(capacity: 1024)
    }

    /// The buffer, empty, with room for at least `capacity` bytes.
    func take(capacity: Int) -> ByteBuffer {
        // Moved out, so the caller's copy is the only one and its writes do not copy the storage.
        var taken = self.buffer
        self.buffer = ByteBuffer()
        if taken.capacity > Self.keptCapacity {
            return self.allocator.buffer(capacity: capacity)
        }
        taken.clear(minimumCapacity: capacity)
        return taken
    }

    /// Keeps `buffer`, just handed to the channel, for the next answer.
    func keep(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }
}
