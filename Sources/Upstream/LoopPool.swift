package import Logging
package import NIOCore
package import RPC

/// A cluster's connections on one event loop, and every call made on that loop: a call made on
/// loop L is picked, sent, retried and answered on L, with no lock and no hop.
///
/// Use it only on `eventLoop`. It holds the loop's share of the cluster: a circuit breaker and
/// request limits judged on this loop's traffic, outlier ejection and health of each endpoint
/// (each loop checks over its own connections), and the pending queue of calls waiting for a
/// free stream.
package final class LoopPool {
    package let eventLoop: any EventLoop
    let configuration: ClusterConfiguration
    let logger: Logger
    let metrics: UpstreamMetrics
    var endpoints: [EndpointSlot] = []
    var breaker: CircuitBreaker
    var retryBudget: RetryBudget
    /// Calls admitted and not yet answered.
    package internal(set) var activeRequests = 0
    /// Pass-through calls whose deadline is watched now (one queue and timer per loop).
    package var watchedStreamDeadlines: Int { self.streamDeadlines.count }
    var pending = CircularBuffer<UpstreamCall>()
    /// Pass-through calls waiting for a free stream (`LoopPool+Streams.swift`).
    var pendingStreams = CircularBuffer<UpstreamStream>()
    /// The deadlines of this loop's pass-through calls, with one timer for all of them.
    let streamDeadlines: DeadlineQueue
    var picker: EndpointPicker
    var ejectionDecay: Scheduled<Void>?
    /// Some connection was closed for idleness: the next pick connects it again.
    var hasIdleSubchannels = false
    var isShutDown = false
    /// `configuration.deadlineMargin`, converted once (no `Duration` arithmetic on a call's path).
    let deadlineMargin: TimeAmount

    init(eventLoop: any EventLoop, configuration: ClusterConfiguration, logger: Logger, metrics: UpstreamMetrics) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.breaker = CircuitBreaker(configuration: configuration.circuitBreaker)
        self.picker = EndpointPicker(policy: configuration.loadBalancing)
        self.deadlineMargin = TimeAmount(configuration.deadlineMargin)
        self.streamDeadlines = DeadlineQueue(eventLoop: eventLoop)
        self.retryBudget = RetryBudget(
            share: configuration.retry.budgetShare, minimum: configuration.retry.minRetryConcurrency)
    }

    // MARK: Calls

    /// A unary call with an already serialized request; `onComplete` runs on this loop exactly once.
    /// Without `timeout` the cluster's default applies: every call has a deadline, and the budget
    /// left is what goes upstream as `grpc-timeout`.
    @discardableResult
    package func unary(
        _ method: MethodDescriptor, request: inout RequestMessage, metadata: Metadata = Metadata(),
        timeout: Duration? = nil, onComplete: @escaping (UpstreamResult) -> Void
    ) -> UpstreamCallHandle {
        let now = self.eventLoop.now
        let deadline = now + TimeAmount(timeout ?? self.configuration.defaultTimeout)
        return self.unary(
            method, framedRequest: request.framed(), metadata: metadata, deadline: deadline, onComplete: onComplete)
    }

    /// A unary call with a framed request and an absolute deadline (a budget shared with other calls).
    @discardableResult
    package func unary(
        _ method: MethodDescriptor, framedRequest: ByteBuffer, metadata: Metadata = Metadata(),
        deadline: NIODeadline, onComplete: @escaping (UpstreamResult) -> Void
    ) -> UpstreamCallHandle {
        let now = self.eventLoop.now
        guard !self.isShutDown else {
            onComplete(.failure(.rejected(.noEndpoint, "the cluster is shut down")))
            return UpstreamCallHandle(pool: nil, call: nil)
        }
        guard self.activeRequests < self.configuration.maxActiveRequests else {
            self.metrics.rejected(reason: .overloaded)
            onComplete(.failure(.rejected(.overloaded, "too many requests in flight", retryAfter: .seconds(1))))
            return UpstreamCallHandle(pool: nil, call: nil)
        }
        let (admission, transition) = self.breaker.admit(now: now)
        if let transition { self.breakerChanged(transition) }
        if case .reject(let retryAfter) = admission {
            self.metrics.rejected(reason: .circuitOpen)
            onComplete(.failure(.rejected(.circuitOpen, "the circuit breaker is open", retryAfter: retryAfter)))
            return UpstreamCallHandle(pool: nil, call: nil)
        }
        let call = UpstreamCall(
            method: method, request: framedRequest, metadata: metadata, deadline: deadline, started: now,
            admission: admission, onComplete: onComplete)
        self.activeRequests += 1
        self.retryBudget.requestStarted()
        self.dispatch(call, now: now)
        return UpstreamCallHandle(pool: self, call: call)
    }

    func cancel(_ call: UpstreamCall) {
        switch call.phase {
        case .attempting(let handle, _):
            // The attempt ends CANCELLED; that is never retried.
            handle?.cancel()
        case .pending, .backingOff:
            self.finish(
                call,
                .failure(
                    UpstreamFailure(
                        reason: .callFailed,
                        failure: CallFailure(
                            RPCError(code: .cancelled, message: "the call was cancelled"), origin: .local,
                            processing: .notSent), attempts: call.attempts)))
        case .finished:
            break
        }
    }

    // MARK: Attempts

    /// Sends the call's next attempt, or queues it until a connection has a free stream.
    func dispatch(_ call: UpstreamCall) {
        self.dispatch(call, now: self.eventLoop.now)
    }

    /// `dispatch(_:)` with the loop's time read once by the caller.
    func dispatch(_ call: UpstreamCall, now: NIODeadline) {
        switch self.pick(avoiding: call.lastEndpoint, now: now) {
        case .start(let endpoint, let subchannel):
            self.startAttempt(call, on: endpoint, subchannel, now: now)
        case .wait:
            guard self.pending.count < self.configuration.maxPendingRequests else {
                self.metrics.rejected(reason: .overloaded)
                self.finish(
                    call, .failure(.rejected(.overloaded, "too many requests waiting", retryAfter: .seconds(1))))
                return
            }
            call.phase = .pending
            self.pending.append(call)
            self.armDeadline(call)
        case .unavailable:
            if call.lastFailure != nil {
                self.finishWithLastFailure(call)
            } else {
                self.finish(call, .failure(.rejected(.noEndpoint, "no healthy endpoint", retryAfter: .seconds(1))))
            }
        }
    }

    private func startAttempt(
        _ call: UpstreamCall, on endpoint: EndpointSlot, _ subchannel: Subchannel, now: NIODeadline
    ) {
        call.timer?.cancel()
        call.timer = nil
        call.attempts += 1
        endpoint.inFlight += 1
        call.attemptStarted = now
        call.endpointAdmission = self.admitAttempt(on: endpoint, now: now)
        // The handle is set before the call can complete: a call refused at once completes inline.
        let attempt = call.attempts
        call.phase = .attempting(nil, endpoint: endpoint)
        let handle = subchannel.unary(
            call.method, request: call.request, metadata: call.metadata,
            deadline: self.attemptDeadline(call.deadline, now: now)
        ) { result in
            endpoint.inFlight -= 1
            self.attemptFinished(call, on: endpoint, result)
        }
        if case .attempting = call.phase, call.attempts == attempt {
            call.phase = .attempting(handle, endpoint: endpoint)
        }
    }

    private func attemptFinished(_ call: UpstreamCall, on endpoint: EndpointSlot, _ result: RawUnaryResult) {
        if call.holdsRetry {
            call.holdsRetry = false
            self.retryBudget.retryFinished()
        }
        if let admission = call.endpointAdmission {
            call.endpointAdmission = nil
            self.recordAttempt(on: endpoint, admission: admission, started: call.attemptStarted, result)
        }
        switch result {
        case .success(let response):
            self.recordOutlier(endpoint, serverFault: false)
            self.finish(
                call,
                .success(
                    UpstreamResponse(
                        message: response.message, initialMetadata: response.initialMetadata,
                        trailingMetadata: response.trailingMetadata, endpoint: endpoint.address,
                        attempts: call.attempts)))
        case .failure(let failure):
            // A request that never reached the server says nothing about it, good or bad.
            if failure.mayHaveBeenProcessed {
                self.recordOutlier(endpoint, serverFault: UpstreamFailure.isServerFault(failure))
            }
            call.lastEndpoint = endpoint
            call.lastFailure = failure
            if !self.retry(call, after: failure) {
                self.finish(
                    call, .failure(UpstreamFailure(reason: .callFailed, failure: failure, attempts: call.attempts)))
            }
        }
        self.dispatchPending()
    }

    /// Schedules another attempt if the policy and the deadline allow it. The retry budget is taken
    /// when the attempt starts, after the backoff: it bounds retries on the wire, and retries after
    /// one endpoint's failure are spread over the jittered backoff rather than all judged at once.
    private func retry(_ call: UpstreamCall, after failure: CallFailure) -> Bool {
        let policy = self.configuration.retry
        guard !self.isShutDown, policy.allowsRetry(after: failure, attempt: call.attempts, method: call.method) else {
            return false
        }
        // A request the server never processed (refused, past GOAWAY's last stream id, never sent)
        // goes again at once and outside the budget (gRPC's transparent retry: it cost the server
        // nothing, and a GOAWAY refuses many calls at once); `maxAttempts` still bounds it. Others
        // back off and need room in the budget.
        guard failure.mayHaveBeenProcessed else {
            guard self.eventLoop.now < call.deadline else { return false }
            self.metrics.retried()
            self.dispatch(call)
            return true
        }
        let delay = policy.backoff(beforeRetry: call.attempts)
        guard self.eventLoop.now + TimeAmount(delay) < call.deadline else { return false }
        call.phase = .backingOff
        call.timer = self.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
            call.timer = nil
            guard case .backingOff = call.phase else { return }
            if !self.startRetry(call) { self.finishWithLastFailure(call) }
        }
        return true
    }

    /// Takes a place in the retry budget and sends the call again; false when the budget is spent.
    private func startRetry(_ call: UpstreamCall) -> Bool {
        guard self.retryBudget.tryStartRetry() else {
            self.metrics.retryRefused()
            return false
        }
        call.holdsRetry = true
        self.metrics.retried()
        self.dispatch(call)
        return true
    }

    private func finishWithLastFailure(_ call: UpstreamCall) {
        let failure =
            call.lastFailure
            ?? CallFailure(RPCError(code: .unavailable, message: "no attempt"), origin: .local, processing: .notSent)
        self.finish(call, .failure(UpstreamFailure(reason: .callFailed, failure: failure, attempts: call.attempts)))
    }

    /// While a call waits (pending or backing off), its deadline is watched here; attempts watch their own.
    private func armDeadline(_ call: UpstreamCall) {
        guard call.timer == nil else { return }
        call.timer = self.eventLoop.assumeIsolated().scheduleTask(deadline: call.deadline) {
            call.timer = nil
            guard case .pending = call.phase else { return }
            self.finish(
                call,
                .failure(
                    UpstreamFailure(
                        reason: .callFailed,
                        failure: CallFailure(
                            RPCError(code: .deadlineExceeded, message: "deadline exceeded waiting for a connection"),
                            origin: .local, processing: .notSent), attempts: call.attempts)))
        }
    }

    func finish(_ call: UpstreamCall, _ result: UpstreamResult) {
        guard !call.isFinished else { return }
        if case .pending = call.phase, let index = self.pending.firstIndex(where: { $0 === call }) {
            self.pending.remove(at: index)
        }
        call.phase = .finished
        call.timer?.cancel()
        call.timer = nil
        if call.holdsRetry {
            call.holdsRetry = false
            self.retryBudget.retryFinished()
        }
        self.activeRequests -= 1
        self.retryBudget.requestFinished()
        let now = self.eventLoop.now
        let elapsed = now - call.started
        let code: RPCError.Code
        switch result {
        case .success: code = .ok
        case .failure(let failure): code = failure.code
        }
        self.recordBreaker(call, result: result, elapsed: elapsed, now: now)
        self.metrics.recordCall(method: call.method, code: code, nanoseconds: elapsed.nanoseconds)
        call.onComplete(result)
    }

    private func recordBreaker(_ call: UpstreamCall, result: UpstreamResult, elapsed: TimeAmount, now: NIODeadline) {
        var serverFault = false
        if case .failure(let failure) = result {
            guard failure.reason == .callFailed, failure.code != .cancelled else {
                if call.admission == .probe { self.breaker.probeAbandoned() }
                return
            }
            serverFault = UpstreamFailure.isServerFault(failure.failure)
        }
        if let transition = self.breaker.record(
            serverFault: serverFault, elapsed: elapsed, admission: call.admission, now: now)
        {
            self.breakerChanged(transition)
        }
    }

    private func breakerChanged(_ transition: CircuitBreaker.Transition) {
        self.logger.notice(
            "circuit breaker changed", metadata: ["cluster": "\(self.configuration.name)", "state": "\(transition)"])
        self.metrics.breakerChanged(transition)
    }

    /// Starts waiting calls while connections have free streams.
    func dispatchPending() {
        if !self.pendingStreams.isEmpty { self.dispatchPendingStreams() }
        guard !self.pending.isEmpty else { return }
        let now = self.eventLoop.now
        while let call = self.pending.first {
            guard case .start(let endpoint, let subchannel) = self.pick(avoiding: call.lastEndpoint, now: now) else {
                return
            }
            self.pending.removeFirst()
            self.startAttempt(call, on: endpoint, subchannel, now: now)
        }
    }
}
