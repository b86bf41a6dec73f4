package import RPC

/// When a failed call is sent again, and how long it waits first.
///
/// A call is retried only if the server surely never processed it (never sent, REFUSED_STREAM,
/// past GOAWAY's last stream id), or if its method is safe to repeat (`MethodDescriptor.isIdempotent`:
/// the proto's `idempotency_level` IDEMPOTENT or NO_SIDE_EFFECTS, or so configured) and the
/// status is one of `retryableCodes`. Every retry waits a jittered exponential backoff, stays
/// inside the caller's deadline, and needs room in the retry budget.
package struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    package var maxAttempts = 3
    package var initialBackoff: Duration = .milliseconds(25)
    package var maxBackoff: Duration = .milliseconds(250)
    package var backoffMultiplier = 2.0
    /// Statuses that make an idempotent call worth another attempt.
    package var retryableCodes: Set<RPCError.Code> = [.unavailable]
    /// Retries in flight may be at most this share of the requests in flight...
    package var budgetShare = 0.2
    /// ...but this many are always allowed.
    package var minRetryConcurrency = 3
    /// A pass-through call keeps its request bytes, to send them again, only up to this size
    /// (its whole request: a unary or server-streaming call), and only until the first response
    /// byte.
    package var maxReplayBytes = 64 * 1024

    package init() {}

    package static var defaults: Self { Self() }

    /// Whether `failure` of attempt number `attempt` (1-based) of a call to `method` may be retried
    /// (budget and deadline aside).
    package func allowsRetry(after failure: CallFailure, attempt: Int, method: MethodDescriptor) -> Bool {
        guard attempt < self.maxAttempts else { return false }
        // Our own deadline or the caller's cancellation end the call, whatever was sent.
        guard failure.code != .deadlineExceeded || failure.origin == .server, failure.code != .cancelled else {
            return false
        }
        if !failure.mayHaveBeenProcessed { return true }
        return method.isIdempotent && self.retryableCodes.contains(failure.code)
    }

    /// The wait before retry number `retry` (1-based): full jitter over an exponential cap.
    package func backoff(beforeRetry retry: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let initial =
            Double(self.initialBackoff.components.seconds) * 1e9
            + Double(self.initialBackoff.components.attoseconds) / 1e9
        let maximum =
            Double(self.maxBackoff.components.seconds) * 1e9
            + Double(self.maxBackoff.components.attoseconds) / 1e9
        var cap = initial
        for _ in 1..<max(1, retry) { cap *= self.backoffMultiplier }
        cap = min(cap, maximum)
        return .nanoseconds(Int64(cap * random))
    }
}
