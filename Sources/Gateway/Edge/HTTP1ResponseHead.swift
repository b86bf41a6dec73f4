import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an HTTP/1.1 response head: status line, the response's headers, `content-length`,
/// `x-request-id` and, when the connection ends after it, `connection: close`.
///
/// The head is measured first, then written in one pass into the buffer's memory: one capacity
/// check for the whole head, not one per piece.
enum HTTP1ResponseHead {
    static func write(
        _ response: GatewayResponse, requestID: String, keepAlive: Bool, into out: inout ByteBuffer
    ) {
        let reason = HTTPStatusText.reason(for: response.status)
        // RFC 9110 §8.6: no Content-Length on 204 (nor on 1xx, which the gateway never sends).
        let hasLength = response.status != 204
        var size = "HTTP/1.1 ".utf8.count + Self.maxDecimalDigits + 1 + reason.utf8.count + 2
        for (name, value) in response.headers { size += name.utf8.count + 2 + value.utf8.count + 2 }
        if hasLength { size += "content-length: ".utf8.count + Self.maxDecimalDigits + 2 }
        if !requestID.isEmpty { size += "x-request-id: ".utf8.count + requestID.utf8.count + 2 }
        if !keepAlive { size += "connection: close\r\n".utf8.count }
        size += 2
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { memory in
            var head = Writer(memory)
            head.append("HTTP/1.1 ")
            head.appendDecimal(response.status)
            head.append(" ")
            head.append(reason)
            head.append("\r\n")
            for (name, value) in response.headers {
                head.append(name)
                head.append(": ")
                head.append(value)
                head.append("\r\n")
            }
            if hasLength {
                head.append("content-length: ")
                head.appendDecimal(response.body.readableBytes)
                head.append("\r\n")
            }
            if !requestID.isEmpty {
                head.append("x-request-id: ")
                head.append(requestID)
                head.append("\r\n")
            }
            if !keepAlive { head.append("connection: close\r\n") }
            head.append("\r\n")
            return head.count
        }
    }

    /// Digits of the largest Int.
    static let maxDecimalDigits = 20

    /// Appends bytes to memory measured beforehand (the caller reserved enough).
    struct Writer {
        private let memory: UnsafeMutableRawBufferPointer
        private(set) var count = 0

        init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

        mutating func append(_ text: StaticString) {
            self.append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        mutating func append(_ text: String) {
            // Native Strings are contiguous: one copy; others (bridged) byte by byte.
            let copied = text.utf8.withContiguousStorageIfAvailable { self.append(UnsafeRawBufferPointer($0)) }
            if copied == nil {
                for byte in text.utf8 { self.append(byte) }
            }
        }

        mutating func append(_ bytes: UnsafeRawBufferPointer) {
            precondition(self.count + bytes.count <= self.memory.count, "the head was measured too short")
            guard let source = bytes.baseAddress, bytes.count > 0 else { return }
            memcpy(self.memory.baseAddress! + self.count, source, bytes.count)
            self.count += bytes.count
        }

        mutating func append(_ byte: UInt8) {
            precondition(self.count < self.memory.count, "the head was measured too short")
            self.memory[self.count] = byte
            self.count += 1
        }

        /// A non-negative number in decimal, written in place (`String(_:)` formats through the
        /// generic integer path and allocates beyond 15 digits).
        mutating func appendDecimal(_ value: Int) {
            precondition(value >= 0, "statuses and lengths are not negative")
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 digits on the stack
            withUnsafeMutableBytes(of: &digits) { bytes in
                var remaining = value
                var start = bytes.count
                repeat {
                    start -= 1
                    bytes[start] = UInt8(ascii: "0") + UInt8(remaining % 10)
                    remaining /= 10
                } while remaining > 0
                self.append(UnsafeRawBufferPointer(rebasing: bytes[start...]))
            }
        }
    }
}
