package import NIOCore

/// How a call failed, told apart the way retries and circuit breakers need: who decided the
/// outcome, and whether the server may have acted on the request.
package struct CallFailure: Error, Sendable, CustomStringConvertible {
    /// Who produced the status.
    package enum Origin: Sendable, Hashable {
        /// The server sent a `grpc-status` (an answer, even if an error).
        case server
        /// Decided here or by the transport: connect failure, local deadline, cancellation, lost
        /// connection, stream reset, a response that broke the protocol.
        case local
    }

    /// What the server may have done with the request.
    package enum Processing: Sendable, Hashable {
        /// The request never left this process (no connection, no stream, cancelled before sending).
        case notSent
        /// The server said it did not process it: REFUSED_STREAM, or a stream past GOAWAY's last id.
        case refused
        /// The request went out: the server may have acted on it.
        case mayHaveBeenProcessed
    }

    package var error: RPCError
    package var origin: Origin
    package var processing: Processing

    package init(_ error: RPCError, origin: Origin, processing: Processing) {
        self.error = error
        self.origin = origin
        self.processing = processing
    }

    package var code: RPCError.Code { self.error.code }

    /// False only when the server surely never acted on the request: sending it again is safe
    /// whatever the method does.
    package var mayHaveBeenProcessed: Bool { self.processing == .mayHaveBeenProcessed }

    package var description: String {
        "\(self.error) (\(self.origin == .server ? "server status" : "local"), \(self.processing))"
    }
}

/// The answer to a raw unary call: the response message bytes (without the 5-byte prefix) and
/// the metadata around it, or how it failed.
package typealias RawUnaryResult = Result<UnaryResponse<ByteBuffer>, CallFailure>
