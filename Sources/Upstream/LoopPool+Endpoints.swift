import HTTP2
import Logging
import NIOCore
import RPC

extension LoopPool {
    enum Pick {
        case start(EndpointSlot, Subchannel)
        /// Nothing free now, but a connection is coming up or will free a stream.
        case wait
        /// No endpoint can take the call (none resolved, healthy, not ejected and connectable).
        case unavailable
    }

    /// Picks a connection for the next attempt, avoiding `avoiding` (the endpoint that just
    /// failed) when another endpoint can serve.
    func pick(avoiding: EndpointSlot?) -> Pick {
        self.pick(avoiding: avoiding, now: self.eventLoop.now)
    }

    /// `pick(avoiding:)` at `now`, read once by the caller for the whole dispatch.
    func pick(avoiding: EndpointSlot?, now: NIODeadline) -> Pick {
        if self.hasIdleSubchannels { self.connectIdleSubchannels() }
        switch self.picker.pick(self.endpoints, avoiding: avoiding, now: now) {
        case .endpoint(let index):
            let endpoint = self.endpoints[index]
            guard let subchannel = endpoint.pickSubchannel() else { return .wait }
            return .start(endpoint, subchannel)
        case .wait:
            return .wait
        case .unavailable:
            return .unavailable
        }
    }

    // MARK: Endpoint set

    /// Applies a resolution: new addresses get connections (eagerly), addresses gone are drained
    /// (calls in flight there finish), the others are untouched.
    func update(addresses: [ResolvedAddress]) {
        guard !self.isShutDown else { return }
        var kept: [EndpointSlot] = []
        for endpoint in self.endpoints {
            if addresses.contains(where: { $0.address == endpoint.address }) {
                kept.append(endpoint)
            } else {
                self.logger.info("endpoint removed", metadata: self.metadata(endpoint))
                self.shutDown(endpoint)
            }
        }
        for address in addresses where !kept.contains(where: { $0.address == address.address }) {
            let endpoint = self.makeEndpoint(address)
            kept.append(endpoint)
            self.logger.info("endpoint added", metadata: self.metadata(endpoint))
            for subchannel in endpoint.subchannels { subchannel.connect() }
        }
        self.endpoints = kept
        self.picker.next = self.endpoints.isEmpty ? 0 : Int.random(in: 0..<self.endpoints.count)
        self.dispatchPending()
    }

    private func makeEndpoint(_ resolved: ResolvedAddress) -> EndpointSlot {
        let address = resolved.address
        var subchannelConfiguration = Subchannel.Configuration()
        subchannelConfiguration.connectTimeout = self.configuration.connectTimeout
        subchannelConfiguration.backoff = self.configuration.reconnectBackoff
        subchannelConfiguration.maxConcurrentStreams = self.configuration.maxConcurrentStreams
        subchannelConfiguration.http2.keepalive = self.configuration.keepalive
        // Idleness is the subchannel's to judge: it knows which calls are health checks.
        subchannelConfiguration.idleTimeout = self.configuration.idleTimeout
        let subchannels = (0..<max(1, self.configuration.connectionsPerEndpoint)).map { _ in
            // The configured host:port this address came from, as gRPC sends its target's name.
            Subchannel(
                address: address, authority: resolved.authority, eventLoop: self.eventLoop,
                configuration: subchannelConfiguration, logger: self.logger)
        }
        let health = self.configuration.healthCheck
        let endpoint = EndpointSlot(
            address: address, subchannels: subchannels,
            outlier: OutlierDetector(configuration: self.configuration.outlierDetection),
            health: HealthStatus(
                healthyThreshold: health?.healthyThreshold ?? 1, unhealthyThreshold: health?.unhealthyThreshold ?? 1),
            breaker: self.configuration.endpointCircuitBreaker.map { CircuitBreaker(configuration: $0) })
        if let health, let first = subchannels.first {
            // Strong captures, the cycle broken in `shutDown(_:)`: no weak reference to the pool or
            // the endpoint, which would give them side tables and slow every retain on a call's path.
            endpoint.checker = HealthChecker(subchannel: first, configuration: health) { result in
                self.healthResult(result, for: endpoint)
            }
        }
        for subchannel in subchannels {
            subchannel.onStateChange = { subchannel, state in
                self.subchannelChanged(subchannel, state, endpoint: endpoint)
            }
            subchannel.onStreamFreed = { _ in
                if !self.pending.isEmpty || !self.pendingStreams.isEmpty { self.dispatchPending() }
            }
        }
        return endpoint
    }

    private func subchannelChanged(_ subchannel: Subchannel, _ state: ConnectivityState, endpoint: EndpointSlot) {
        self.logger.debug(
            "connection state", metadata: self.metadata(endpoint).merging(["state": "\(state)"]) { $1 })
        if state == .ready {
            if subchannel === endpoint.subchannels.first { endpoint.checker?.connectionReady() }
            self.dispatchPending()
        } else if state == .idle {
            // Closed for want of calls: checks pause (the endpoint keeps its health) and the
            // next call connects it again; calls already waiting are that call.
            if subchannel === endpoint.subchannels.first { endpoint.checker?.pause() }
            self.hasIdleSubchannels = true
            if !self.pending.isEmpty || !self.pendingStreams.isEmpty { self.connectIdleSubchannels() }
        } else if !self.pending.isEmpty || !self.pendingStreams.isEmpty {
            // Calls waiting for this endpoint may have nothing left to wait for.
            self.failPendingIfHopeless()
        }
    }

    private func healthResult(_ result: HealthChecker.Result, for endpoint: EndpointSlot) {
        let change: HealthStatus.State?
        switch result {
        case .watched(let serving): change = endpoint.health.watchReported(serving: serving)
        case .checked(let serving): change = serving ? endpoint.health.checkSucceeded() : endpoint.health.checkFailed()
        case .failed: change = endpoint.health.checkFailed()
        case .unsupported:
            self.logger.warning("endpoint has no health service: not checked", metadata: self.metadata(endpoint))
            change = endpoint.health.watchReported(serving: true)
        }
        guard let change else { return }
        self.logger.notice("endpoint health", metadata: self.metadata(endpoint).merging(["health": "\(change)"]) { $1 })
        self.metrics.healthChanged(healthy: change != .unhealthy)
        if change == .unhealthy { self.failPendingIfHopeless() } else { self.dispatchPending() }
    }

    /// Connects every connection closed for idleness, not just one: a call has come, and
    /// round-robin spreads the calls after it over all endpoints. The call that finds none ready
    /// waits for the first to connect.
    private func connectIdleSubchannels() {
        self.hasIdleSubchannels = false
        for endpoint in self.endpoints {
            for subchannel in endpoint.subchannels where subchannel.state == .idle { subchannel.connect() }
        }
    }

    /// Records an attempt's outcome for outlier detection; ejects the endpoint when due and allowed.
    func recordOutlier(_ endpoint: EndpointSlot, serverFault: Bool) {
        guard endpoint.outlier.record(serverFault: serverFault) else { return }
        let now = self.eventLoop.now
        let ejected = self.endpoints.filter { $0.outlier.isEjected(now: now) }.count
        let limit = OutlierDetector.maxEjected(
            of: self.endpoints.count, share: self.configuration.outlierDetection.maxEjectedShare)
        guard ejected < limit else { return }
        // Ejection moves an endpoint's calls to the others, so never the last one that could take
        // them: a cluster of one backend (Halo's default) would refuse every call for the whole
        // ejection time after a burst of faults, where its breaker rejects, probes and recovers.
        guard self.endpoints.contains(where: { $0 !== endpoint && $0.isEligible(now: now) }) else { return }
        let until = endpoint.outlier.eject(now: now)
        self.metrics.ejected()
        self.logger.warning(
            "endpoint ejected",
            metadata: self.metadata(endpoint).merging([
                "ejection": "\(endpoint.outlier.ejections)",
                "for_ms": "\((until - now).nanoseconds / 1_000_000)",
            ]) { $1 })
        self.scheduleEjectionDecay()
    }

    /// Every base ejection time while any endpoint has ejections on record: ends ejections that
    /// are due and forgives one ejection of each endpoint that is back.
    private func scheduleEjectionDecay() {
        guard self.ejectionDecay == nil else { return }
        self.ejectionDecay = self.eventLoop.assumeIsolated().scheduleTask(
            in: TimeAmount(self.configuration.outlierDetection.baseEjectionTime)
        ) {
            self.ejectionDecay = nil
            let now = self.eventLoop.now
            for endpoint in self.endpoints {
                if endpoint.outlier.returnIfDue(now: now) {
                    self.logger.info("endpoint returned", metadata: self.metadata(endpoint))
                } else {
                    endpoint.outlier.decay()
                }
            }
            self.dispatchPending()
            if self.endpoints.contains(where: { $0.outlier.ejections > 0 }) { self.scheduleEjectionDecay() }
        }
    }

    /// Fails waiting calls when no endpoint can serve them any more (all down): fast 503s, not timeouts.
    private func failPendingIfHopeless() {
        guard !self.pending.isEmpty || !self.pendingStreams.isEmpty, case .unavailable = self.pick(avoiding: nil)
        else { return }
        self.failPendingStreams(.rejected(.noEndpoint, "no healthy endpoint", retryAfter: .seconds(1)))
        while let call = self.pending.first {
            self.finish(call, .failure(.rejected(.noEndpoint, "no healthy endpoint", retryAfter: .seconds(1))))
        }
    }

    func shutDown() {
        self.isShutDown = true
        self.ejectionDecay?.cancel()
        self.ejectionDecay = nil
        for endpoint in self.endpoints { self.shutDown(endpoint) }
        self.endpoints = []
        self.failPendingStreams(.rejected(.noEndpoint, "the cluster is shut down"))
        while let call = self.pending.first {
            self.finish(call, .failure(.rejected(.noEndpoint, "the cluster is shut down")))
        }
    }

    /// Stops the endpoint's checks and drains its connections, and breaks the pool <-> endpoint
    /// cycles `makeEndpoint` made.
    private func shutDown(_ endpoint: EndpointSlot) {
        endpoint.checker?.stop()
        endpoint.checker = nil
        for subchannel in endpoint.subchannels {
            subchannel.shutDown()
            subchannel.onStateChange = nil
            subchannel.onStreamFreed = nil
        }
    }

    func metadata(_ endpoint: EndpointSlot) -> Logger.Metadata {
        ["cluster": "\(self.configuration.name)", "endpoint": "\(endpoint.address)"]
    }
}
