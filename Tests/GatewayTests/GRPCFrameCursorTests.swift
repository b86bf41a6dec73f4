import NIOCore
import Testing

@testable import Gateway

@Suite("gRPC message boundaries in passed-through bytes")
struct GRPCFrameCursorTests {
    /// Three messages: 3 bytes, empty, 300 bytes (a length with more than one significant byte).
    static func messages() -> [UInt8] {
        var bytes: [UInt8] = []
        for length in [3, 0, 300] {
            bytes += [0, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF)]
            bytes += [UInt8](repeating: 7, count: length)
        }
        return bytes
    }

    /// Offsets at which a whole number of messages has been seen.
    static let boundaries: Set<Int> = [0, 8, 13, 318]

    @Test func boundariesAreFoundWhateverTheSplit() {
        let bytes = Self.messages()
        #expect(bytes.count == 318)
        // Byte by byte: the cursor is at a boundary exactly after each whole message.
        var cursor = GRPCFrameCursor()
        for offset in 0...bytes.count {
            #expect(cursor.isAtBoundary == Self.boundaries.contains(offset), "after \(offset) bytes")
            if offset < bytes.count { cursor.advance(over: ByteBuffer(bytes: [bytes[offset]])) }
        }
        // Two chunks split at every offset.
        for split in 0...bytes.count {
            var cursor = GRPCFrameCursor()
            cursor.advance(over: ByteBuffer(bytes: bytes[..<split]))
            #expect(cursor.isAtBoundary == Self.boundaries.contains(split), "split at \(split)")
            cursor.advance(over: ByteBuffer(bytes: bytes[split...]))
            #expect(cursor.isAtBoundary)
        }
    }

    @Test func aReadSliceIsFollowedFromItsReaderIndex() {
        var buffer = ByteBuffer(bytes: [9, 9] + Self.messages())
        buffer.moveReaderIndex(forwardBy: 2)
        var cursor = GRPCFrameCursor()
        cursor.advance(over: buffer.getSlice(at: buffer.readerIndex, length: 10)!)
        #expect(!cursor.isAtBoundary)
        cursor.advance(over: buffer.getSlice(at: buffer.readerIndex + 10, length: 308)!)
        #expect(cursor.isAtBoundary)
    }
}
