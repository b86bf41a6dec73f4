import NIOCore

/// Writes an HTTP/1.1 response head: status line, the response's headers, `content-length`,
/// `x-request-id` and, when the connection ends after it, `connection: close`.
enum HTTP1ResponseHead {
    static func write(
        _ response: GatewayResponse, requestID: String, keepAlive: Bool, into out: inout ByteBuffer
    ) {
        out.writeStaticString("HTTP/1.1 ")
        out.writeString(String(response.status))
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
            out.writeString(String(response.body.readableBytes))
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
}
