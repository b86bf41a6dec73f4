import Logging
import NIOCore
import RPC

extension LoopPool {
    /// The deadline an attempt runs to and sends upstream as `grpc-timeout`: the call's, less
    /// `deadlineMargin` for the caller's own work after the answer, but never less than half the
    /// budget left.
    func attemptDeadline(_ deadline: NIODeadline, now: NIODeadline) -> NIODeadline {
        let margin = self.deadlineMargin
        guard margin > .zero, deadline > now else { return deadline }
        let half = TimeAmount.nanoseconds((deadline - now).nanoseconds / 2)
        return max(deadline - margin, now + half)
    }

    /// Asks the endpoint's breaker (if any) to admit an attempt the picker chose; the picker only
    /// chooses endpoints whose breaker would admit one (`CircuitBreaker.wouldAdmit`).
    func admitAttempt(on endpoint: EndpointSlot, now: NIODeadline) -> CircuitBreaker.Admission? {
        guard let decision = endpoint.breaker?.admit(now: now) else { return nil }
        let (admission, transition) = decision
        if let transition { self.endpointBreakerChanged(endpoint, transition) }
        return admission
    }

    /// Records an attempt's outcome in its endpoint's breaker. A request the server never saw, or
    /// an attempt its caller cancelled, says nothing about the endpoint (a probe is given back).
    func recordAttempt(
        on endpoint: EndpointSlot, admission: CircuitBreaker.Admission, started: NIODeadline, _ result: RawUnaryResult
    ) {
        var serverFault = false
        if case .failure(let failure) = result {
            guard failure.mayHaveBeenProcessed, failure.code != .cancelled else {
                if admission == .probe { endpoint.breaker?.probeAbandoned() }
                return
            }
            serverFault = UpstreamFailure.isServerFault(failure)
        }
        let now = self.eventLoop.now
        if let transition = endpoint.breaker?.record(
            serverFault: serverFault, elapsed: now - started, admission: admission, now: now)
        {
            self.endpointBreakerChanged(endpoint, transition)
        }
    }

    func endpointBreakerChanged(_ endpoint: EndpointSlot, _ transition: CircuitBreaker.Transition) {
        self.logger.notice(
            "endpoint circuit breaker changed",
            metadata: self.metadata(endpoint).merging(["state": "\(transition)"]) { $1 })
        self.metrics.endpointBreakerChanged(transition)
    }
}
