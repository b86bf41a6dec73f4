import NIOCore
import SwiftProtobuf

/// A length-prefixed gRPC message serialized straight into its ByteBuffer (no intermediate copy).
struct FramedMessage: SwiftProtobufContiguousBytes {
    private static let allocator = ByteBufferAllocator()
    private(set) var buffer: ByteBuffer

    init(repeating: UInt8, count: Int) {
        self.buffer = Self.allocator.buffer(capacity: count + 5)
        self.buffer.writeInteger(UInt8(0))
        self.buffer.writeInteger(UInt32(count))
        self.buffer.writeRepeatingByte(repeating, count: count)
    }

    init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
        let bytes = Array(sequence)
        self.init(repeating: 0, count: 0)
        self.buffer.setInteger(UInt32(bytes.count), at: 1)
        self.buffer.writeBytes(bytes)
    }

    var count: Int { self.buffer.readableBytes - 5 }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try self.buffer.withUnsafeReadableBytes { try body(UnsafeRawBufferPointer(rebasing: $0.dropFirst(5))) }
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try self.buffer.withUnsafeMutableReadableBytes {
            try body(UnsafeMutableRawBufferPointer(rebasing: $0.dropFirst(5)))
        }
    }

    /// Serializes `message` with its 5-byte gRPC prefix.
    static func frame(_ message: some Message) throws -> ByteBuffer {
        let framed: FramedMessage = try message.serializedBytes()
        return framed.buffer
    }
}

/// Read-only view of a ByteBuffer for swift-protobuf's decoder (no copy).
struct BufferBytes: SwiftProtobufContiguousBytes {
    var buffer: ByteBuffer

    init(_ buffer: ByteBuffer) { self.buffer = buffer }
    init(repeating: UInt8, count: Int) { self.buffer = ByteBuffer(repeating: repeating, count: count) }
    init<S: Sequence>(_ sequence: S) where S.Element == UInt8 { self.buffer = ByteBuffer(bytes: Array(sequence)) }

    var count: Int { self.buffer.readableBytes }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try self.buffer.withUnsafeReadableBytes(body)
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try self.buffer.withUnsafeMutableReadableBytes(body)
    }

    /// Decodes a message from the bytes of one (unprefixed) gRPC message.
    static func decode<M: Message>(_ type: M.Type, from buffer: ByteBuffer) throws(RPCError) -> M {
        do {
            return try M(serializedBytes: BufferBytes(buffer))
        } catch {
            throw RPCError(code: .internal, message: "could not decode \(M.protoMessageName)", cause: error)
        }
    }
}

/// Splits received DATA into gRPC messages: slices when a message lies in one chunk, one copy
/// when it spans chunks. Enforces the maximum message size before buffering.
struct MessageDeframer {
    let maxMessageSize: Int
    private var pending: ByteBuffer?
    /// Length of the message being assembled, once its prefix is read.
    private var expected: Int?

    init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

    /// True when no partial message is buffered.
    var isEmpty: Bool { self.pending == nil && self.expected == nil }

    /// Feeds a DATA chunk and calls `onMessage` for each complete message (unprefixed).
    mutating func feed(_ chunk: ByteBuffer, onMessage: (ByteBuffer) throws(RPCError) -> Void) throws(RPCError) {
        var input: ByteBuffer
        if var pending = self.pending {
            var chunk = chunk
            pending.writeBuffer(&chunk)
            input = pending
            self.pending = nil
        } else {
            input = chunk
        }
        while true {
            if self.expected == nil {
                guard input.readableBytes >= 5 else { break }
                let flag = input.readInteger(as: UInt8.self)!
                let length = Int(input.readInteger(as: UInt32.self)!)
                guard flag == 0 else {
                    throw RPCError(
                        code: flag == 1 ? .unimplemented : .internal,
                        message: flag == 1 ? "compressed messages are not supported" : "invalid message flag")
                }
                guard length <= self.maxMessageSize else {
                    throw RPCError(
                        code: .resourceExhausted,
                        message: "message of \(length) bytes exceeds the limit of \(self.maxMessageSize)")
                }
                self.expected = length
            }
            guard let length = self.expected, input.readableBytes >= length else { break }
            self.expected = nil
            try onMessage(input.readSlice(length: length)!)
        }
        if input.readableBytes > 0 {
            if let expected = self.expected, input.capacity < expected + 5 {
                // Reserve once for the whole message rather than growing chunk by chunk.
                var reserved = ByteBuffer()
                reserved.reserveCapacity(expected)
                reserved.writeBuffer(&input)
                self.pending = reserved
            } else {
                self.pending = input
            }
        }
    }
}
