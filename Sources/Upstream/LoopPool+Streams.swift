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
            path: path, method: method, headers: headers, deadline: deadline, started: now, delegate: delegate)
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
        stream.deadlineTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            stream.deadlineTimer = nil
            stream.end(RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
        }
        self.dispatch(stream)
        return stream
    }

    private func dispatch(_ stream: UpstreamStream) {
        switch self.pick(avoiding: nil) {
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
            self.finish(stream, .failed(.rejected(.noEndpoint, "no healthy endpoint", retryAfter: .seconds(1))))
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
        guard
            let call = subchannel.passThroughCall(
                path: stream.path, headers: stream.headers, deadline: stream.deadline, delegate: stream)
        else {
            self.finish(
                stream, .failed(.rejected(.noEndpoint, "the connection took no stream", retryAfter: .seconds(1))))
            return
        }
        endpoint.inFlight += 1
        stream.phase = .attempting(call, endpoint)
        let writes = stream.waitingWrites
        stream.waitingWrites = []
        for (data, endStream) in writes { call.write(data, endStream: endStream) }
        // The writer has been holding back while the call waited.
        if call.isWritable, !call.isFinished { stream.passThroughCall(call, writabilityChanged: true) }
    }

    /// Starts waiting pass-through calls while connections have free streams.
    func dispatchPendingStreams() {
        while let stream = self.pendingStreams.first {
            guard case .start(let endpoint, let subchannel) = self.pick(avoiding: nil) else { return }
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
        stream.deadlineTimer?.cancel()
        stream.deadlineTimer = nil
        stream.waitingWrites = []
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
