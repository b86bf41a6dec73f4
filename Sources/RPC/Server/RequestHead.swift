import HTTP2

/// A validated gRPC request head.
struct RequestHead {
    enum Rejection: Error {
        /// Not gRPC at all: answer with a plain HTTP status.
        case http(status: String)
        /// gRPC, but refused: answer with a gRPC status.
        case rpc(RPCError)
    }

    let handler: MethodHandler
    let metadata: Metadata
    let timeout: Duration?

    init(headers: [Header], router: Router) throws(Rejection) {
        var method: String?
        var path: String?
        var contentType: String?
        var encoding: String?
        var timeoutValue: String?
        var metadata = Metadata()
        for header in headers {
            switch header.token {
            case .method: method = header.value
            case .path: path = header.value
            case .contentType: contentType = header.value
            case .grpcEncoding: encoding = header.value
            case .grpcTimeout: timeoutValue = header.value
            case let token where token.isProtocol: break
            default: metadata.addReceived(name: header.name, value: header.value)
            }
        }
        guard method == "POST" else { throw .http(status: "405") }
        guard let contentType, Self.isGRPC(contentType) else { throw .http(status: "415") }
        guard let path, let handler = router.handler(forPath: path) else {
            throw .rpc(RPCError(code: .unimplemented, message: "unknown method \(path ?? "")"))
        }
        if let encoding, encoding != "identity" {
            throw .rpc(RPCError(code: .unimplemented, message: "compression \(encoding) is not supported"))
        }
        var timeout: Duration?
        if let timeoutValue {
            guard let parsed = Timeout.parse(timeoutValue) else {
                throw .rpc(RPCError(code: .internal, message: "malformed grpc-timeout"))
            }
            timeout = parsed
        }
        self.handler = handler
        self.metadata = metadata
        self.timeout = timeout
    }

    /// `application/grpc`, optionally `+proto` or with parameters.
    private static func isGRPC(_ contentType: String) -> Bool {
        if contentType == "application/grpc" || contentType == "application/grpc+proto" { return true }
        guard contentType.hasPrefix("application/grpc") else { return false }
        let rest = contentType.utf8.dropFirst(16)
        guard let next = rest.first else { return true }
        if next == UInt8(ascii: ";") { return true }
        return contentType.hasPrefix("application/grpc+proto")
    }
}

/// Response heads and trailers.
enum ResponseHeaders {
    static let ok = [Header(":status", "200"), Header("content-type", "application/grpc")]
    private static let okStatus = [Header("grpc-status", "0")]

    static func trailers(for error: RPCError?, trailersOnly: Bool) -> [Header] {
        var headers: [Header] = trailersOnly ? Self.ok : []
        guard let error else {
            return trailersOnly ? headers + Self.okStatus : Self.okStatus
        }
        headers.append(Header("grpc-status", String(error.code.rawValue)))
        if !error.message.isEmpty {
            headers.append(Header("grpc-message", PercentEncoding.encode(error.message)))
        }
        if error.code == .unimplemented, error.message.hasPrefix("compression") {
            headers.append(Header("grpc-accept-encoding", "identity"))
        }
        for (key, value) in error.metadata.entries {
            headers.append(Header(key, Metadata.wireValue(value)))
        }
        return headers
    }
}
