package import NIOCore
package import RPC

/// An RFC 9457 problem (`application/problem+json`): `type`, `title`, `status`, `detail`, `code`
/// (the gRPC code name), `request_id`, and, for input a client can fix, `errors` as
/// `{pointer, detail}` pairs (the pointer names the JSON field as the client sent it), or
/// `{parameter, detail}` for a field the path or the query carried.
///
/// `detail` carries upstream messages as they are (the services write them for clients); local
/// failures get a fixed sentence, never an internal error text.
package struct Problem: Sendable {
    /// One field-level error: where in the body (a JSON pointer), or which path or query
    /// parameter when the field was not in the body.
    package struct FieldError: Sendable, Hashable {
        package var pointer: String
        /// Set instead of `pointer` for a field bound by the path or the query (`video_id`).
        package var parameter: String?
        package var detail: String
        package init(pointer: String, detail: String) {
            self.pointer = pointer
            self.parameter = nil
            self.detail = detail
        }

        package init(parameter: String, detail: String) {
            self.pointer = ""
            self.parameter = parameter
            self.detail = detail
        }
    }

    package var status: Int
    package var code: RPCError.Code
    package var detail: String
    package var errors: [FieldError]
    /// Extra response headers: `WWW-Authenticate` on 401, `Retry-After` on 429 and 503.
    package var headers: [(name: String, value: String)]

    package init(
        code: RPCError.Code, detail: String, errors: [FieldError] = [], headers: [(name: String, value: String)] = [],
        status: Int? = nil
    ) {
        self.status = status ?? StatusMapping.httpStatus(for: code)
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers
        if self.status == 401, !headers.contains(where: { $0.name == "www-authenticate" }) {
            self.headers.append(("www-authenticate", "Bearer"))
        }
    }

    /// The response, with the request id in the body and in `x-request-id`.
    package func response(
        requestID: String, allocator: ByteBufferAllocator = ByteBufferAllocator()
    )
        -> GatewayResponse
    {
        var body = allocator.buffer(capacity: 160 + self.detail.utf8.count)
        body.writeStaticString("{\"type\":\"about:blank\",\"title\":")
        JSONText.writeString(Self.title(for: self.status), to: &body)
        body.writeStaticString(",\"status\":")
        body.writeString(String(self.status))
        body.writeStaticString(",\"detail\":")
        JSONText.writeString(self.detail, to: &body)
        body.writeStaticString(",\"code\":")
        JSONText.writeString(StatusMapping.codeName(self.code), to: &body)
        body.writeStaticString(",\"request_id\":")
        JSONText.writeString(requestID, to: &body)
        if !self.errors.isEmpty {
            body.writeStaticString(",\"errors\":[")
            for (index, error) in self.errors.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                if let parameter = error.parameter {
                    body.writeStaticString("{\"parameter\":")
                    JSONText.writeString(parameter, to: &body)
                } else {
                    body.writeStaticString("{\"pointer\":")
                    JSONText.writeString(error.pointer, to: &body)
                }
                body.writeStaticString(",\"detail\":")
                JSONText.writeString(error.detail, to: &body)
                body.writeStaticString("}")
            }
            body.writeStaticString("]")
        }
        body.writeStaticString("}")
        var headers: [(name: String, value: String)] = [("content-type", "application/problem+json")]
        headers.append(contentsOf: self.headers)
        return GatewayResponse(status: self.status, headers: headers, body: body)
    }

    /// The reason phrase used as `title`.
    package static func title(for status: Int) -> String {
        HTTPStatusText.reason(for: status)
    }
}

/// Minimal JSON text output for the gateway's own bodies (problems, health, admin).
enum JSONText {
    /// Writes `value` as a JSON string: quotes, backslashes and control characters escaped.
    static func writeString(_ value: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var utf8 = value.utf8
        // Fast path: most strings need no escaping.
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            buffer.writeString(value)
        } else {
            utf8 = value.utf8
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex[Int(byte >> 4)])
                    buffer.writeInteger(hex[Int(byte & 0x0f)])
                default: buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
