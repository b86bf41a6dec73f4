package import RPC

/// The one gRPC -> HTTP status table (DESIGN.md §5); nothing else in the gateway maps codes.
package enum StatusMapping {
    /// The HTTP status for a gRPC status code.
    package static func httpStatus(for code: RPCError.Code) -> Int {
        switch code {
        case .ok: 200
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .resourceExhausted: 429
        case .cancelled: 499
        case .unimplemented: 501
        case .unavailable: 503
        case .deadlineExceeded: 504
        default: 500  // unknown, internal, data loss, and anything new
        }
    }

    /// The `code` member of a problem body: the gRPC code's name, as in `INVALID_ARGUMENT`.
    package static func codeName(_ code: RPCError.Code) -> String {
        code.name
    }
}
