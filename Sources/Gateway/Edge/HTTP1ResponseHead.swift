import NIOCore

/// Writes an HTTP/1.1 response head: status line, the response's headers, `content-length`,
/// `x-request-id` and, when the connection ends after it, `connection: close`.
enum HTTP1ResponseHead {
    static func write(
        _ response: GatewayResponse, requestID: String, keepAlive: Bool, into out: inout ByteBuffer
    ) {
        out.writeStaticString("HTTP/1.1 ")
        Self.writeDecimal(response.status, into: &out)
        out.writeStaticString(" ")
        out.writeString(HTTPStatusText.reason(for: response.status))
        out.writeStaticString("\r\n")
        for (name, value) in response.headers {
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        // RFC 9110 §8.6: no Content-Length on 204 (nor on 1xx, which the gateway never sends).
        if response.status != 204 {
            out.writeStaticString("content-length: ")
            Self.writeDecimal(response.body.readableBytes, into: &out)
            out.writeStaticString("\r\n")
        }
        if !requestID.isEmpty {
            out.writeStaticString("x-request-id: ")
            out.writeString(requestID)
            out.writeStaticString("\r\n")
        }
        if !keepAlive { out.writeStaticString("connection: close\r\n") }
        out.writeStaticString("\r\n")
    }

    /// A non-negative number in decimal, written in place (`String(_:)` formats through the
    /// generic integer path and allocates beyond 15 digits).
    static func writeDecimal(_ value: Int, into out: inout ByteBuffer) {
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
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        }
    }
}
