import NIOCore
import RPC

/// One cluster call across its attempts, on its pool's event loop.
final class UpstreamCall {
    enum Phase {
        /// Waiting for a connection with a free stream.
        case pending
        /// An attempt is in flight on `endpoint` (its handle is nil only while it is being started).
        case attempting(CallHandle?, endpoint: EndpointSlot)
        /// Waiting out the backoff before the next attempt.
        case backingOff
        case finished
    }

    let method: MethodDescriptor
    let request: ByteBuffer
    let metadata: Metadata
    let deadline: NIODeadline
    let started: NIODeadline
    let admission: CircuitBreaker.Admission
    let onComplete: (UpstreamResult) -> Void
    var phase = Phase.pending
    var attempts = 0
    /// The endpoint of the last failed attempt: a retry goes elsewhere when it can.
    var lastEndpoint: EndpointSlot?
    /// The last attempt's failure: what the caller gets if no retry can be made.
    var lastFailure: CallFailure?
    /// This call holds a place in the retry budget.
    var holdsRetry = false
    /// The timer of the pending wait or the backoff.
    var timer: Scheduled<Void>?
    /// When the attempt in flight started (its endpoint breaker's slow-call measure).
    var attemptStarted: NIODeadline
    /// How the endpoint's breaker admitted the attempt in flight (nil: no endpoint breaker).
    var endpointAdmission: CircuitBreaker.Admission?

    init(
        method: MethodDescriptor, request: ByteBuffer, metadata: Metadata, deadline: NIODeadline,
        started: NIODeadline, admission: CircuitBreaker.Admission, onComplete: @escaping (UpstreamResult) -> Void
    ) {
        self.method = method
        self.request = request
        self.metadata = metadata
        self.deadline = deadline
        self.started = started
        self.attemptStarted = started
        self.admission = admission
        self.onComplete = onComplete
    }

    var isFinished: Bool {
        if case .finished = self.phase { return true }
        return false
    }
}

/// Cancels a cluster call (the client went away, a sibling call failed). Use it on the call's loop.
///
/// It holds its pool strongly: a weak reference would give the pool a side table, and every
/// retain and release of it on a call's path would take the slow path (~1000 instructions a call,
/// measured with callgrind). The pool outlives its calls anyway.
package struct UpstreamCallHandle {
    private let pool: LoopPool?
    private let call: UpstreamCall?

    init(pool: LoopPool?, call: UpstreamCall?) {
        self.pool = pool
        self.call = call
    }

    /// Ends the call with CANCELLED, resetting the attempt in flight; no-op once it finished.
    package func cancel() {
        guard let pool = self.pool, let call = self.call else { return }
        pool.cancel(call)
    }
}
