import NIOCore
import Testing

@testable import Gateway

@Suite("Answer buffers: reused when free, never overwritten while a write is pending")
struct ResponseOutputBufferTests {
    private static func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func aFreedBufferIsReusedWithoutAllocating() {
        let output = ResponseOutputBuffer()
        var first = output.take(capacity: 100)
        first.writeString("first answer")
        let firstAddress = Self.address(first)
        output.keep(first)
        first = ByteBuffer()  // the channel wrote it and let go

        var second = output.take(capacity: 100)
        #expect(second.readableBytes == 0)
        second.writeString("second")
        #expect(Self.address(second) == firstAddress)
        #expect(second.readableBytes == 6)
    }

    @Test func aBufferStillHeldByAPendingWriteIsNotOverwritten() {
        let output = ResponseOutputBuffer()
        var first = output.take(capacity: 100)
        first.writeString("still in the channel")
        let pending = first  // the channel keeps it until the socket takes it
        output.keep(first)
        first = ByteBuffer()

        var second = output.take(capacity: 100)
        second.writeString("next")
        #expect(String(buffer: pending) == "still in the channel")
        #expect(String(buffer: second) == "next")
        #expect(Self.address(second) != Self.address(pending))
    }

    @Test func aLargeBufferIsNotKept() {
        let output = ResponseOutputBuffer()
        var large = output.take(capacity: ResponseOutputBuffer.keptCapacity * 2)
        large.writeRepeatingByte(1, count: ResponseOutputBuffer.keptCapacity * 2)
        output.keep(large)
        large = ByteBuffer()
        let next = output.take(capacity: 10)
        #expect(next.capacity <= ResponseOutputBuffer.keptCapacity)
    }

    @Test(arguments: [0, 7, 10, 200, 204, 1_234_567_890, Int.max])
    func decimalsAreWrittenAsStringWouldWriteThem(_ value: Int) {
        var out = ByteBuffer()
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: HTTP1ResponseHead.maxDecimalDigits) { memory in
            var writer = HTTP1ResponseHead.Writer(memory)
            writer.appendDecimal(value)
            return writer.count
        }
        #expect(String(buffer: out) == String(value))
    }
}
