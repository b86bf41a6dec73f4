package import HTTP2
import Logging
package import NIOCore
package import RPC

extension LoopPool {
    /// Starts a pass-through call (`UpstreamStream`): `path` is the `:path` to send, `method` names
    /// it in metrics, `headers` are the request's fields without pseudo-headers. Admission is the
    /// unary calls': the loop's request limit, the breaker, the pending queue while every stream is
    /// busy. Every event, even a refusal made at once, reaches `delegate` on this loop; the
    /// returned stream may already be finished.
    package func stream(
        path: String, method: MethodDescriptor, headers: [Header], deadline: NIODeadline,
        delegate: any UpstreamStreamDelegate
    ) -> UpstreamStream {
        let now = self.eventLoop.now
        let stream = UpstreamStream(
            path: path, method: method, headers: headers, deadline: deadline, started: now,
            maxReplayBytes: self.configuration.retry.maxReplayBytes, delegate: delegate)
        stream.pool = self
        guard !self.isShutDown else {
            self.refuse(stream, .rejected(.noEndpoint, "the cluster is shut down"))
            return stream
        }
        guard self.activeRequests < self.configuration.maxActiveRequests else {
            self.metrics.rejected(reason: .overloaded)
            self.refuse(stream, .rejected(.overloaded, "too many requests in flight", retryAfter: .seconds(1)))
            return stream
        }
        let (admission, transition) = self.breaker.admit(now: now)
        if let transition { self.streamBreakerChanged(transition) }
        if case .reject(let retryAfter) = admission {
            self.metrics.rejected(reason: .circuitOpen)
            self.refuse(stream, .rejected(.circuitOpen, "the circuit breaker is open", retryAfter: retryAfter))
            return stream
        }
        stream.admission = admission
        self.activeRequests += 1
        self.retryBudget.requestStarted()
        // One timer per loop for every stream's deadline, not a scheduled task per call.
        self.streamDeadlines.add(stream, deadline: deadline)
        self.dispatch(stream)
        return stream
    }

    private func dispatch(_ stream: UpstreamStream) {
        switch self.pick(avoiding: stream.lastEndpoint) {
        case .start(let endpoint, let subchannel):
            self.start(stream, on: endpoint, subchannel)
        case .wait:
            guard self.pendingStreams.count < self.configuration.maxPendingRequests else {
                self.metrics.rejected(reason: .overloaded)
                self.finish(
                    stream,
                    .failed(.rejected(.overloaded, "too many requests waiting", retryAfter: .seconds(1))))
                return
            }
            self.pendingStreams.append(stream)
        case .unavailable:
            if let failure = stream.lastFailure {
                self.finish(
                    stream, .failed(UpstreamFailure(reason: .callFailed, failure: failure, attempts: stream.attempts)))
            } else {
                self.finish(stream, .failed(.rejected(.noEndpoint, "no healthy endpoint", retryAfter: .seconds(1))))
            }
        }
    }

    private func start(_ stream: UpstreamStream, on endpoint: EndpointSlot, _ subchannel: Subchannel) {
        // The endpoint's own breaker, when the cluster has one per endpoint (the picker chose an
        // endpoint whose breaker admits a call).
        let endpointAdmission = self.admitAttempt(on: endpoint, now: self.eventLoop.now)
        if case .reject(let retryAfter) = endpointAdmission {
            self.finish(
                stream,
                .failed(.rejected(.circuitOpen, "the endpoint's circuit breaker is open", retryAfter: retryAfter)))
            return
        }
        stream.endpointAdmission = endpointAdmission
        stream.attempts += 1
        guard
            let call = subchannel.passThroughCall(
                path: stream.path, headers: stream.headers, deadline: stream.deadline, delegate: stream)
        else {
            // Nothing was sent: another endpoint may take it.
            let failure = CallFailure(
                RPCError(code: .unavailable, message: "the connection took no stream"), origin: .local,
                processing: .notSent)
            self.attemptFailed(stream, failure, on: endpoint)
            return
        }
        endpoint.inFlight += 1
        stream.phase = .attempting(call, endpoint)
        let writes = stream.waitingWrites
        stream.waitingWrites = RequestWrites()
        writes.forEach { data, endStream in call.write(data, endStream: endStream) }
        // The writer has been holding back while the call waited.
        if call.isWritable, !call.isFinished { stream.passThroughCall(call, writabilityChanged: true) }
    }

    /// An attempt ended without a status: the call goes again on another endpoint if the backend
    /// surely never processed it and it can be replayed whole (`UpstreamStream`), else it ends.
    /// `endpoint` took the attempt's stream if the call is `.attempting`; else no stream was had.
    func attemptFailed(_ stream: UpstreamStream, _ failure: CallFailure, on endpoint: EndpointSlot) {
        let streamTaken: Bool
        switch stream.phase {
        case .attempting: streamTaken = true
        case .pending: streamTaken = false
        case .finished: return
        }
        let resend = self.mayResend(stream, after: failure)
        if resend || !streamTaken {
            // The endpoint never saw it: nothing for outlier detection or its breaker (a probe
            // is given back). `finish` does this itself for an attempt that had a stream.
            if stream.endpointAdmission == .probe { endpoint.breaker?.probeAbandoned() }
            stream.endpointAdmission = nil
        }
        guard resend else {
            if streamTaken {
                self.finish(
                    stream, .failed(UpstreamFailure(reason: .callFailed, failure: failure, attempts: stream.attempts)))
            } else {
                // Capacity here, not the backend's health: not for the breakers.
                self.finish(
                    stream,
                    .failed(.rejected(.noEndpoint, failure.error.message, retryAfter: .seconds(1))))
            }
            return
        }
        if streamTaken { endpoint.inFlight -= 1 }
        stream.lastEndpoint = endpoint
        stream.lastFailure = failure
        stream.phase = .pending
        stream.waitingWrites = stream.replay
        self.metrics.retried()
        self.dispatch(stream)
        if streamTaken { self.dispatchPending() }
    }

    /// The REST path's rule for a request the server never processed (`LoopPool.retry`): sent
    /// again at once, outside the retry budget (it cost the server nothing), within the policy's
    /// `maxAttempts` and the deadline. A pass-through call is never retried after it may have
    /// been processed: the gateway does not know whether its method is idempotent.
    private func mayResend(_ stream: UpstreamStream, after failure: CallFailure) -> Bool {
        guard !self.isShutDown, !failure.mayHaveBeenProcessed, stream.isReplayable else { return false }
        guard self.configuration.retry.allowsRetry(after: failure, attempt: stream.attempts, method: stream.method)
        else { return false }
        return self.eventLoop.now < stream.deadline
    }

    /// Starts waiting pass-through calls while connections have free streams.
    func dispatchPendingStreams() {
        while let stream = self.pendingStreams.first {
            guard case .start(let endpoint, let subchannel) = self.pick(avoiding: stream.lastEndpoint) else { return }
            self.pendingStreams.removeFirst()
            self.start(stream, on: endpoint, subchannel)
        }
    }

    /// Fails every waiting pass-through call (no endpoint can serve, or the pool shuts down).
    func failPendingStreams(_ failure: UpstreamFailure) {
        while let stream = self.pendingStreams.first {
            self.finish(stream, .failed(failure))
        }
    }

    /// A refusal before admission: nothing was counted, nothing is recorded.
    private func refuse(_ stream: UpstreamStream, _ failure: UpstreamFailure) {
        stream.phase = .finished
        stream.report(.failed(failure))
    }

    /// Ends an admitted call once: its counts, the breaker and outlier detection, metrics, then
    /// its owner.
    func finish(_ stream: UpstreamStream, _ end: UpstreamStream.End) {
        var endpoint: EndpointSlot?
        switch stream.phase {
        case .finished:
            return
        case .pending:
            if let index = self.pendingStreams.firstIndex(where: { $0 === stream }) {
                self.pendingStreams.remove(at: index)
            }
        case .attempting(_, let slot):
            slot.inFlight -= 1
            endpoint = slot
        }
        stream.phase = .finished
        self.streamDeadlines.remove(stream)
        stream.waitingWrites = RequestWrites()
        stream.dropReplay()
        self.activeRequests -= 1
        self.retryBudget.requestFinished()

        let now = self.eventLoop.now
        let code: RPCError.Code
        let failure: CallFailure?
        var countsForBreaker = true
        switch end {
        case .status(let status, _, _):
            code = status
            failure =
                status == .ok
                ? nil
                : CallFailure(RPCError(code: status, message: ""), origin: .server, processing: .mayHaveBeenProcessed)
        case .failed(let upstreamFailure):
            code = upstreamFailure.code
            failure = upstreamFailure.failure
            countsForBreaker = upstreamFailure.reason == .callFailed && upstreamFailure.code != .cancelled
        }
        if let endpoint, failure?.mayHaveBeenProcessed ?? true {
            self.recordOutlier(endpoint, serverFault: failure.map(UpstreamFailure.isServerFault) ?? false)
        }
        if let endpoint, let admission = stream.endpointAdmission {
            if countsForBreaker, failure?.mayHaveBeenProcessed ?? true {
                if let transition = endpoint.breaker?.record(
                    serverFault: failure.map(UpstreamFailure.isServerFault) ?? false, duration: .zero,
                    admission: admission, now: now)
                {
                    self.endpointBreakerChanged(endpoint, transition)
                }
            } else if admission == .probe {
                endpoint.breaker?.probeAbandoned()
            }
        }
        if countsForBreaker {
            // A stream's length says nothing about the backend's health: only its outcome counts.
            if let transition = self.breaker.record(
                serverFault: failure.map(UpstreamFailure.isServerFault) ?? false, duration: .zero,
                admission: stream.admission, now: now)
            {
                self.streamBreakerChanged(transition)
            }
        } else if stream.admission == .probe {
            self.breaker.probeAbandoned()
        }
        self.metrics.recordCall(method: stream.method, code: code, nanoseconds: (now - stream.started).nanoseconds)
        stream.report(end)
        self.dispatchPending()
    }

    private func streamBreakerChanged(_ transition: CircuitBreaker.Transition) {
        self.logger.notice(
            "circuit breaker changed", metadata: ["cluster": "\(self.configuration.name)", "state": "\(transition)"])
        self.metrics.breakerChanged(transition)
    }
}
