import RPC
import Upstream

/// The problem a client sees for an upstream failure. The services' own statuses pass through
/// with their messages (they are written for clients); what went wrong on the way (no endpoint,
/// open breaker, deadline, lost connection) gets a fixed sentence and never an internal detail.
enum UpstreamProblem {
    static func problem(for failure: UpstreamFailure) -> Problem {
        var headers: [(name: String, value: String)] = []
        if let retryAfter = failure.retryAfter {
            headers.append(("retry-after", String(max(1, Int((retryAfter + .milliseconds(999)).components.seconds)))))
        }
        switch failure.reason {
        case .circuitOpen, .overloaded, .noEndpoint:
            if headers.isEmpty { headers.append(("retry-after", "1")) }
            return Problem(code: .unavailable, detail: "the backend is unavailable; try again later", headers: headers)
        default:
            break
        }
        let error = failure.failure.error
        if failure.failure.origin == .server {
            if let retryAfter = Self.sanitized(error.metadata["retry-after"]), headers.isEmpty {
                headers.append(("retry-after", retryAfter))
            }
            if error.code == .unavailable || error.code == .resourceExhausted, headers.isEmpty {
                headers.append(("retry-after", "1"))
            }
            return Problem(code: error.code, detail: error.message, headers: headers)
        }
        switch error.code {
        case .deadlineExceeded:
            return Problem(code: .deadlineExceeded, detail: "the backend did not answer in time")
        case .cancelled:
            return Problem(code: .cancelled, detail: "the request was cancelled")
        case .unavailable:
            if headers.isEmpty { headers.append(("retry-after", "1")) }
            return Problem(code: .unavailable, detail: "the backend is unavailable; try again later", headers: headers)
        default:
            return Problem(code: .unavailable, detail: "the backend failed to answer", headers: headers, status: 502)
        }
    }

    /// A `retry-after` from a backend, passed on only as whole seconds (nothing else can reach a
    /// response header from upstream).
    static func sanitized(_ value: String?) -> String? {
        guard let value, let seconds = Int(value), (0...86_400).contains(seconds) else { return nil }
        return String(seconds)
    }
}
