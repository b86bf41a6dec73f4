import HTTP2
import NIOCore
import NIOEmbedded

/// Hand-built HTTP/2 frames for playing a misbehaving client, and a reader for the server's frames.
enum RawFrames {
    static let preface = ByteBuffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, payload: ByteBuffer = ByteBuffer()) -> ByteBuffer {
        var buffer = ByteBuffer()
        let length = payload.readableBytes
        buffer.writeInteger(UInt8(truncatingIfNeeded: length >> 16))
        buffer.writeInteger(UInt16(truncatingIfNeeded: length))
        buffer.writeInteger(type)
        buffer.writeInteger(flags)
        buffer.writeInteger(stream)
        var payload = payload
        buffer.writeBuffer(&payload)
        return buffer
    }

    static func settings() -> ByteBuffer { frame(type: 0x4, stream: 0) }
    static func settingsAck() -> ByteBuffer { frame(type: 0x4, flags: 0x1, stream: 0) }

    /// HEADERS with END_HEADERS (unless `endHeaders` is false) and optionally END_STREAM.
    static func headers(
        stream: UInt32, block: ByteBuffer, endStream: Bool = false, endHeaders: Bool = true
    )
        -> ByteBuffer
    {
        frame(type: 0x1, flags: (endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0), stream: stream, payload: block)
    }

    static func continuation(stream: UInt32, block: ByteBuffer, endHeaders: Bool) -> ByteBuffer {
        frame(type: 0x9, flags: endHeaders ? 0x4 : 0, stream: stream, payload: block)
    }

    static func rstStream(stream: UInt32, code: UInt32 = 0x8) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        return frame(type: 0x3, stream: stream, payload: payload)
    }

    /// An HPACK block of a request head, every field a literal without indexing.
    static func requestBlock(path: String = "/test", extra: [(String, String)] = []) -> ByteBuffer {
        var block = ByteBuffer()
        for (name, value) in [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "t")] + extra {
            literal(name, value, into: &block)
        }
        return block
    }

    /// Literal header field without indexing, new name (RFC 7541 §6.2.2).
    static func literal(_ name: String, _ value: String, indexed: Bool = false, into block: inout ByteBuffer) {
        block.writeInteger(UInt8(indexed ? 0x40 : 0x00))
        integer(name.utf8.count, prefixBits: 7, into: &block)
        block.writeString(name)
        integer(value.utf8.count, prefixBits: 7, into: &block)
        block.writeString(value)
    }

    /// An indexed header field (RFC 7541 §6.1): a reference to table entry `index`.
    static func indexed(_ index: Int, into block: inout ByteBuffer) {
        integer(index, prefixBits: 7, into: &block, firstByteFlags: 0x80)
    }

    static func integer(_ value: Int, prefixBits: Int, into block: inout ByteBuffer, firstByteFlags: UInt8 = 0) {
        let limit = (1 << prefixBits) - 1
        if value < limit {
            block.writeInteger(firstByteFlags | UInt8(value))
            return
        }
        block.writeInteger(firstByteFlags | UInt8(limit))
        var rest = value - limit
        while rest >= 128 {
            block.writeInteger(UInt8(rest % 128 + 128))
            rest /= 128
        }
        block.writeInteger(UInt8(rest))
    }

    /// The frames in `bytes`, as (type, flags, stream, payload).
    static func parse(_ bytes: ByteBuffer) -> [(type: UInt8, flags: UInt8, stream: UInt32, payload: ByteBuffer)] {
        var bytes = bytes
        var frames: [(UInt8, UInt8, UInt32, ByteBuffer)] = []
        while bytes.readableBytes >= 9 {
            let high = Int(bytes.getInteger(at: bytes.readerIndex, as: UInt8.self)!)
            let low = Int(bytes.getInteger(at: bytes.readerIndex + 1, as: UInt16.self)!)
            let length = high << 16 | low
            guard bytes.readableBytes >= 9 + length else { break }
            bytes.moveReaderIndex(forwardBy: 3)
            let type = bytes.readInteger(as: UInt8.self)!
            let flags = bytes.readInteger(as: UInt8.self)!
            let stream = bytes.readInteger(as: UInt32.self)! & 0x7FFF_FFFF
            frames.append((type, flags, stream, bytes.readSlice(length: length)!))
        }
        return frames
    }
}

/// A server `Connection` on an EmbeddedChannel, fed raw bytes.
final class RawServer {
    let channel = EmbeddedChannel()
    let delegate = TestServerDelegate { _, _ in EchoHandler() }
    var received = ByteBuffer()

    init(configuration: Configuration) throws {
        try self.channel.pipeline.syncOperations.addHandler(
            Connection(role: .server, configuration: configuration, delegate: self.delegate))
        try self.channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var hello = RawFrames.preface
        var settings = RawFrames.settings()
        hello.writeBuffer(&settings)
        try self.send(hello)
    }

    deinit {
        _ = try? self.channel.finish(acceptAlreadyClosed: true)
    }

    /// Sends bytes, unless the server already closed.
    func send(_ bytes: ByteBuffer) throws {
        guard self.channel.isActive else { return }
        try self.channel.writeInbound(bytes)
        self.channel.embeddedEventLoop.run()
        while var out = try self.channel.readOutbound(as: ByteBuffer.self) { self.received.writeBuffer(&out) }
    }

    /// The error code of the server's last GOAWAY, if it sent one.
    var goAwayCode: UInt32? {
        RawFrames.parse(self.received).last { $0.type == 0x7 }?.payload.getInteger(at: 4, as: UInt32.self)
    }

    /// RST_STREAM frames the server sent, by stream.
    var resets: [UInt32: UInt32] {
        var resets: [UInt32: UInt32] = [:]
        for frame in RawFrames.parse(self.received) where frame.type == 0x3 {
            resets[frame.stream] = frame.payload.getInteger(at: 0, as: UInt32.self)
        }
        return resets
    }
}
