import AsyncKit
import NIOCore
import PostgresNIO
package import RPC
import SQLiteNIO

/// Classifies driver errors (PostgresNIO, SQLiteNIO, AsyncKit's pool, NIO) and maps them to gRPC.
package enum DatabaseErrors {
    /// Whether `error` means the database cannot serve now (refused, lost, timed out, shutting
    /// down, read-only, full): the call may be retried later and the service is NOT_SERVING.
    package static func isUnavailable(_ error: any Error) -> Bool {
        Self.classify(error).code == .unavailable
    }

    /// Whether `error` is a unique-constraint violation.
    package static func isUniqueViolation(_ error: any Error) -> Bool {
        Self.classify(error).code == .uniqueViolation
    }

    /// Sorts any error from a database call into a ``DatabaseError``.
    package static func classify(_ error: any Error) -> DatabaseError {
        switch error {
        case let error as DatabaseError:
            return error
        case let error as PSQLError:
            return Self.classify(postgres: error)
        case let error as SQLiteError:
            return Self.classify(sqlite: error)
        case is DatabaseTimeoutError, is DatabaseRefusingError, is ConnectionPoolTimeoutError, is ConnectionPoolError,
            is IOError,
            is ChannelError, is NIOConnectionError:
            return DatabaseError(code: .unavailable, cause: error)
        default:
            return DatabaseError(code: .other, cause: error)
        }
    }

    /// The status a caller gets for a failed database call. The message never carries SQL or
    /// driver text: UNAVAILABLE (retryable), ALREADY_EXISTS, ABORTED or INTERNAL. An `RPCError`
    /// passes through unchanged.
    package static func rpcError(for error: any Error) -> RPCError {
        if let error = error as? RPCError { return error }
        let classified = Self.classify(error)
        switch classified.code {
        case .unavailable:
            return RPCError(code: .unavailable, message: "the database is unavailable; try again later", cause: error)
        case .uniqueViolation:
            return RPCError(code: .alreadyExists, message: "already exists", cause: error)
        case .conflict:
            return RPCError(code: .aborted, message: "a concurrent change conflicted; try again", cause: error)
        default:
            return RPCError(code: .internal, message: "internal error", cause: error)
        }
    }

    private static func classify(postgres error: PSQLError) -> DatabaseError {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            let constraint = error.serverInfo?[.constraintName]
            switch state {
            case "23505":
                return DatabaseError(code: .uniqueViolation, constraint: constraint, cause: error)
            case "40001", "40P01":
                return DatabaseError(code: .conflict, cause: error)
            case "25006", "57P01", "57P02", "57P03", "3D000":
                // read-only transaction, admin/crash shutdown, cannot connect now, no such database
                return DatabaseError(code: .unavailable, cause: error)
            default:
                // Class 08: connection exception; 53: insufficient resources; 28: authorization.
                if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("28") {
                    return DatabaseError(code: .unavailable, cause: error)
                }
                return DatabaseError(code: .other, cause: error)
            }
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .sslUnsupported, .failedToAddSSLHandler, .queryCancelled:
            return DatabaseError(code: .unavailable, cause: error)
        default:
            return DatabaseError(code: .other, cause: error)
        }
    }

    private static func classify(sqlite error: SQLiteError) -> DatabaseError {
        switch error.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed:
            return DatabaseError(code: .uniqueViolation, cause: error)
        case .constraint where error.message.hasPrefix("UNIQUE constraint failed"):
            return DatabaseError(code: .uniqueViolation, cause: error)
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked, .lockedBySharedCache, .readOnly,
            .readonlyInRecovery, .readonlyCantLock, .readonlyInRollback, .readonlyBackingMoved, .readonlyDirectory,
            .full, .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath, .ioError, .permission, .noMemory,
            .interrupt:
            return DatabaseError(code: .unavailable, cause: error)
        default:
            if "\(error.reason)".hasPrefix("ioError") { return DatabaseError(code: .unavailable, cause: error) }
            return DatabaseError(code: .other, cause: error)
        }
    }
}
