package import NIOCore

/// An answer as the pipeline builds it; each edge writes it in its own framing (HTTP/1.1 as one
/// preformatted buffer, HTTP/2 as a header list and DATA).
package struct GatewayResponse {
    /// The status code (100-599).
    package var status: Int
    /// Header fields other than `content-length` (the edge sets it) and the framing headers.
    /// Names are lowercase.
    package var headers: [(name: String, value: String)]
    /// The body; empty for 204 and 304.
    package var body: ByteBuffer

    package init(status: Int, headers: [(name: String, value: String)] = [], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer. Its header list is one shared array (no allocation per answer).
    package static func json(_ status: Int, _ body: ByteBuffer) -> GatewayResponse {
        GatewayResponse(status: status, headers: Self.jsonHeaders, body: body)
    }

    private static let jsonHeaders: [(name: String, value: String)] = [("content-type", "application/json")]

    /// The first value of `name` (lowercase), if set.
    package func header(_ name: String) -> String? {
        self.headers.first { $0.name == name }?.value
    }
}
