/// Header names the HTTP/2 and gRPC layers look at, recognised once when a header arrives so
/// later checks are integer switches, not string comparisons.
package enum HeaderToken: UInt8, Sendable {
    case other
    case method, scheme, path, authority, status
    case contentType, te, userAgent, contentLength, authorization
    case grpcTimeout, grpcEncoding, grpcAcceptEncoding, grpcStatus, grpcMessage, grpcStatusDetails
    case connection, host, keepAlive, proxyConnection, transferEncoding, upgrade

    /// Recognised names, with the one String each shares.
    static let known: [(name: String, token: HeaderToken)] = [
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
    static let knownValues: [String] = [
        "POST", "GET", "http", "https", "200", "0", "trailers", "application/grpc", "application/grpc+proto",
        "identity",
    ]

    private static let table: [[(bytes: [UInt8], name: String, token: HeaderToken)]] = {
        var table = [[(bytes: [UInt8], name: String, token: HeaderToken)]](repeating: [], count: 32)
        for (name, token) in Self.known { table[name.utf8.count].append((Array(name.utf8), name, token)) }
        return table
    }()

    private static let valueTable: [[(bytes: [UInt8], value: String)]] = {
        var table = [[(bytes: [UInt8], value: String)]](repeating: [], count: 32)
        for value in Self.knownValues { table[value.utf8.count].append((Array(value.utf8), value)) }
        return table
    }()

    /// The token and String of a received name (lowercase, as nghttp2 guarantees for HTTP/2).
    static func classify(_ name: UnsafeBufferPointer<UInt8>) -> (HeaderToken, String) {
        if name.count < Self.table.count {
            for candidate in Self.table[name.count] where candidate.bytes.elementsEqual(name) {
                return (candidate.token, candidate.name)
            }
        }
        return (.other, String(decoding: name, as: UTF8.self))
    }

    /// A received value as a String, shared when it is a common one.
    static func value(_ value: UnsafeBufferPointer<UInt8>) -> String {
        if value.count < Self.valueTable.count {
            for candidate in Self.valueTable[value.count] where candidate.bytes.elementsEqual(value) {
                return candidate.value
            }
        }
        return String(decoding: value, as: UTF8.self)
    }

    /// Pseudo-headers and connection-specific fields: protocol, never application metadata.
    package var isProtocol: Bool {
        switch self {
        case .other, .userAgent, .authorization: false
        default: true
        }
    }
}
