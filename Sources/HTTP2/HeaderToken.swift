/// Header names the HTTP/2 and gRPC layers look at, recognised once when a header arrives so
/// later checks are integer switches, not string comparisons.
package enum HeaderToken: UInt8, Sendable {
    case other
    case method, scheme, path, authority, status
    case contentType, te, userAgent, contentLength, authorization
    case grpcTimeout, grpcEncoding, grpcAcceptEncoding, grpcStatus, grpcMessage, grpcStatusDetails
    case connection, host, keepAlive, proxyConnection, transferEncoding, upgrade

    /// Recognised names, with the one String each shares.
    package static let known: [(name: String, token: HeaderToken)] = [
        (":method", .method), (":scheme", .scheme), (":path", .path), (":authority", .authority),
        (":status", .status), ("content-type", .contentType), ("te", .te), ("user-agent", .userAgent),
        ("content-length", .contentLength), ("authorization", .authorization), ("grpc-timeout", .grpcTimeout),
        ("grpc-encoding", .grpcEncoding), ("grpc-accept-encoding", .grpcAcceptEncoding),
        ("grpc-status", .grpcStatus), ("grpc-message", .grpcMessage),
        ("grpc-status-details-bin", .grpcStatusDetails), ("connection", .connection), ("host", .host),
        ("keep-alive", .keepAlive), ("proxy-connection", .proxyConnection),
        ("transfer-encoding", .transferEncoding), ("upgrade", .upgrade),
    ]

    /// Values common enough to share one String instead of decoding each time.
    package static let knownValues: [String] = [
        "POST", "GET", "http", "https", "200", "0", "trailers", "application/grpc", "application/grpc+proto",
        "identity",
    ]

    private static let names = StringTable(Self.known.map(\.name))
    private static let tokens = Self.known.map(\.token)
    private static let values = StringTable(Self.knownValues)

    /// The token and String of a received name (lowercase, as nghttp2 guarantees for HTTP/2).
    package static func classify(_ name: UnsafeBufferPointer<UInt8>) -> (HeaderToken, String) {
        if let index = Self.names.index(of: name) { return (Self.tokens[index], Self.names.strings[index]) }
        return (.other, String(decoding: name, as: UTF8.self))
    }

    /// A received value as a String, shared when it is a common one.
    package static func value(_ value: UnsafeBufferPointer<UInt8>) -> String {
        Self.values.string(for: value)
    }

    /// Pseudo-headers and connection-specific fields: protocol, never application metadata.
    package var isProtocol: Bool {
        switch self {
        case .other, .userAgent, .authorization: false
        default: true
        }
    }
}
