/// An error from the Redis client: a code, a message and perhaps the underlying error.
package struct RedisError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a small closed set.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case connectionFailed, connectionClosed, timeout, serverError, protocolError
            case poolExhausted, poolClosed, transactionAborted, invalidArgument
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The TCP connection or the handshake (AUTH, SELECT) failed.
        package static let connectionFailed = Code(.connectionFailed)
        /// The connection closed before the reply arrived; the command may or may not have run.
        package static let connectionClosed = Code(.connectionClosed)
        /// No reply within the command timeout, or no connection within the pool's wait timeout.
        package static let timeout = Code(.timeout)
        /// The server answered with an error reply; `message` holds it (e.g. `WRONGTYPE ...`).
        package static let serverError = Code(.serverError)
        /// The server sent bytes that are not RESP, or a reply nobody asked for.
        package static let protocolError = Code(.protocolError)
        /// The pool has no free connection and its queue of waiters is full.
        package static let poolExhausted = Code(.poolExhausted)
        /// The pool or subscriber was shut down.
        package static let poolClosed = Code(.poolClosed)
        /// EXEC answered null: a watched key changed, nothing was applied.
        package static let transactionAborted = Code(.transactionAborted)
        /// The caller passed something the client cannot send.
        package static let invalidArgument = Code(.invalidArgument)

        /// The code's name, e.g. `timeout`.
        package var description: String { String(describing: wrapped) }
    }

    /// The kind of failure.
    package var code: Code
    /// Human-readable detail; for `serverError`, the server's error text.
    package var message: String
    /// The lower-level error, if any.
    package var cause: (any Error)?

    /// An error with a code, a message and an optional cause.
    package init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// For a server error, its first word (`WRONGTYPE`, `NOSCRIPT`, `ERR` ...); nil otherwise.
    package var serverErrorPrefix: Substring? {
        guard code == .serverError else { return nil }
        return message.split(separator: " ", maxSplits: 1).first
    }

    /// `code: message (cause)`.
    package var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }
}
