/// A database failure, classified for the service that has to answer the caller.
///
/// Stores throw it (``DatabaseErrors/classify(_:)``) so services can tell "taken" from "down"
/// without knowing the driver; the driver's error stays in `cause`, for logs only.
package struct DatabaseError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure it is.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case unavailable, uniqueViolation, conflict, other
        }

        private let value: Value

        /// The database cannot be reached or cannot serve now (refused, lost, timed out, shutting
        /// down, out of connections, read-only, disk full). Retryable: UNAVAILABLE.
        package static let unavailable = Code(value: .unavailable)
        /// A unique constraint rejected the write: ALREADY_EXISTS.
        package static let uniqueViolation = Code(value: .uniqueViolation)
        /// A concurrent transaction won (serialization failure, deadlock): ABORTED, retry the whole operation.
        package static let conflict = Code(value: .conflict)
        /// Anything else (a bug or a schema mismatch): INTERNAL.
        package static let other = Code(value: .other)

        package var description: String { self.value.rawValue }
    }

    package var code: Code
    /// The constraint that was violated, when the driver says (PostgreSQL does; SQLite names columns in text only).
    package var constraint: String?
    /// The driver's error, for logs; never sent to a caller.
    package var cause: (any Error)?

    package init(code: Code, constraint: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.constraint = constraint
        self.cause = cause
    }

    package var description: String {
        var text = "database error (\(self.code))"
        if let constraint { text += " on \(constraint)" }
        return text
    }
}
