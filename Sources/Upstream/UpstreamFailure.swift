package import NIOCore
package import RPC

/// Why a cluster call failed: refused here without a backend call (open breaker, full limits,
/// no usable endpoint), or the last attempt's failure. The gateway turns `rejected` reasons
/// into 503 with `Retry-After`.
package struct UpstreamFailure: Error, Sendable, CustomStringConvertible {
    package struct Reason: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Sendable, Hashable { case circuitOpen, overloaded, noEndpoint, callFailed }
        private let value: Value

        /// The breaker is open (or its half-open probes are all out).
        package static let circuitOpen = Reason(value: .circuitOpen)
        /// The pending or active request limit is reached.
        package static let overloaded = Reason(value: .overloaded)
        /// No endpoint is resolved, healthy, not ejected and connectable.
        package static let noEndpoint = Reason(value: .noEndpoint)
        /// The call went upstream (perhaps several times) and its last attempt failed.
        package static let callFailed = Reason(value: .callFailed)

        package var description: String {
            switch self.value {
            case .circuitOpen: "circuit_open"
            case .overloaded: "overloaded"
            case .noEndpoint: "no_endpoint"
            case .callFailed: "call_failed"
            }
        }
    }

    package var reason: Reason
    /// The last attempt's failure, or the local failure that stands for the rejection
    /// (UNAVAILABLE, never sent).
    package var failure: CallFailure
    /// For rejections: when trying again makes sense.
    package var retryAfter: Duration?
    /// Attempts made (0 for rejections).
    package var attempts: Int

    package init(reason: Reason, failure: CallFailure, retryAfter: Duration? = nil, attempts: Int) {
        self.reason = reason
        self.failure = failure
        self.retryAfter = retryAfter
        self.attempts = attempts
    }

    /// A rejection made before any backend call.
    static func rejected(_ reason: Reason, _ message: String, retryAfter: Duration? = nil) -> Self {
        UpstreamFailure(
            reason: reason,
            failure: CallFailure(
                RPCError(code: .unavailable, message: message), origin: .local, processing: .notSent),
            retryAfter: retryAfter, attempts: 0)
    }

    package var code: RPCError.Code { self.failure.code }

    package var description: String { "\(self.reason) after \(self.attempts) attempts: \(self.failure)" }

    /// Failures that say the backend is in trouble (breakers and ejection count them): the server's
    /// UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS, DEADLINE_EXCEEDED, and transport failures after
    /// sending. Never a client-side status (INVALID_ARGUMENT, NOT_FOUND, UNAUTHENTICATED...), nor a
    /// cancellation, nor a call that never left.
    package static func isServerFault(_ failure: CallFailure) -> Bool {
        guard failure.mayHaveBeenProcessed else { return false }
        switch failure.code {
        case .unavailable, .internal, .unknown, .dataLoss, .deadlineExceeded: return true
        default: return false
        }
    }
}

/// The answer to a cluster call: the response message bytes and metadata, and where it came from.
package struct UpstreamResponse: Sendable {
    /// The response message, without its 5-byte prefix.
    package var message: ByteBuffer
    package var initialMetadata: Metadata
    package var trailingMetadata: Metadata
    /// The endpoint that answered (access logs, balance checks).
    package var endpoint: SocketAddress
    /// Attempts it took, the answering one included.
    package var attempts: Int
}

/// The answer to a cluster call.
package typealias UpstreamResult = Result<UpstreamResponse, UpstreamFailure>
