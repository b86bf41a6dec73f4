import HTTP2

/// How transport events become gRPC statuses on the client (gRPC's HTTP/2 protocol spec).
enum StatusMapping {
    /// A non-200 HTTP status with no grpc-status.
    static func code(forHTTPStatus status: String) -> RPCError.Code {
        switch status {
        case "400": .internal
        case "401": .unauthenticated
        case "403": .permissionDenied
        case "404": .unimplemented
        case "429", "502", "503", "504": .unavailable
        default: .unknown
        }
    }

    /// A stream closed before a status arrived.
    static func error(for reason: CloseReason) -> RPCError {
        switch reason {
        case .normal:
            RPCError(code: .internal, message: "the server closed the stream without a status")
        case .connectionLost:
            RPCError(code: .unavailable, message: "the connection was lost")
        case .reset(let code) where code == .refusedStream:
            RPCError(code: .unavailable, message: "the server refused the stream (it was not processed)")
        case .reset(let code) where code == .cancel:
            RPCError(code: .cancelled, message: "the server cancelled the stream")
        case .reset(let code) where code == .enhanceYourCalm:
            RPCError(code: .resourceExhausted, message: "the server asked to slow down")
        case .reset(let code):
            RPCError(code: .internal, message: "the stream was reset: \(code)")
        }
    }
}
