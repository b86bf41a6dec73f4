import NIOCore

/// A pass-through call's request writes kept in order (`UpstreamStream`): the bytes, then
/// whether the request side ended. The first write is held inline, so a unary request (one
/// message, then its end) is kept without an allocation.
struct RequestWrites {
    private var first: ByteBuffer?
    private var more: [ByteBuffer] = []
    /// The request side ended (the last write had `endStream`).
    private(set) var ended = false

    var isEmpty: Bool { self.first == nil && !self.ended }

    mutating func append(_ data: ByteBuffer, endStream: Bool) {
        if data.readableBytes > 0 {
            if self.first == nil {
                self.first = data
            } else {
                self.more.append(data)
            }
        }
        if endStream { self.ended = true }
    }

    /// Each write in order, the end carried by the last (alone, on an empty buffer, when no
    /// bytes were written).
    func forEach(_ write: (ByteBuffer, _ endStream: Bool) -> Void) {
        guard let first = self.first else {
            if self.ended { write(ByteBuffer(), true) }
            return
        }
        write(first, self.ended && self.more.isEmpty)
        for (index, data) in self.more.enumerated() {
            write(data, self.ended && index == self.more.count - 1)
        }
    }
}
