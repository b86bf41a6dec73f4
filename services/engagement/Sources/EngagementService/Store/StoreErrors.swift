import RPC
import Redis

/// Maps store failures to what the caller gets: never Redis' own text.
enum StoreErrors {
    /// Server replies that mean "cannot serve now" rather than a bug.
    private static let unavailableReplies: Set<Substring> = [
        "LOADING", "BUSY", "MASTERDOWN", "READONLY", "OOM", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS", "NOSCRIPT",
    ]

    /// UNAVAILABLE (retryable) when Redis cannot be reached, times out or cannot serve now;
    /// INTERNAL for anything else. An `RPCError` passes through.
    static func rpcError(for error: any Error) -> RPCError {
        if let error = error as? RPCError { return error }
        guard let redisError = error as? RedisError else {
            return RPCError(code: .internal, message: "internal error", cause: error)
        }
        if redisError.code == .serverError || redisError.code == .protocolError
            || redisError.code == .invalidArgument || redisError.code == .transactionAborted
        {
            if let prefix = redisError.serverErrorPrefix, Self.unavailableReplies.contains(prefix) {
                return RPCError(
                    code: .unavailable, message: "engagement storage is unavailable; try again", cause: error)
            }
            return RPCError(code: .internal, message: "internal error", cause: error)
        }
        return RPCError(code: .unavailable, message: "engagement storage is unavailable; try again", cause: error)
    }
}
