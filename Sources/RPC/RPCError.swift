/// A gRPC status with a code other than OK, as thrown by handlers and returned to callers.
package struct RPCError: Error, Sendable, CustomStringConvertible {
    package var code: Code
    package var message: String
    /// Trailing metadata sent with (or received with) the status.
    package var metadata: Metadata
    /// What caused it, for logs; never sent to the peer.
    package var cause: (any Error)?

    package init(code: Code, message: String, metadata: Metadata = Metadata(), cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.metadata = metadata
        self.cause = cause
    }

    package var description: String { "\(self.code): \(self.message)" }
}

extension RPCError {
    /// A gRPC status code (0 is OK; `RPCError` never carries it).
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        package let rawValue: Int

        /// The code for a wire value; values outside 0...16 are UNKNOWN, as the spec says.
        package init(rawValue: Int) {
            self.rawValue = (0...16).contains(rawValue) ? rawValue : 2
        }

        package static let ok = Code(rawValue: 0)
        package static let cancelled = Code(rawValue: 1)
        package static let unknown = Code(rawValue: 2)
        package static let invalidArgument = Code(rawValue: 3)
        package static let deadlineExceeded = Code(rawValue: 4)
        package static let notFound = Code(rawValue: 5)
        package static let alreadyExists = Code(rawValue: 6)
        package static let permissionDenied = Code(rawValue: 7)
        package static let resourceExhausted = Code(rawValue: 8)
        package static let failedPrecondition = Code(rawValue: 9)
        package static let aborted = Code(rawValue: 10)
        package static let outOfRange = Code(rawValue: 11)
        package static let unimplemented = Code(rawValue: 12)
        package static let `internal` = Code(rawValue: 13)
        package static let unavailable = Code(rawValue: 14)
        package static let dataLoss = Code(rawValue: 15)
        package static let unauthenticated = Code(rawValue: 16)

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]

        /// The canonical name, e.g. `INVALID_ARGUMENT`.
        package var name: String { Self.names[self.rawValue] }
        package var description: String { self.name }
    }
}
