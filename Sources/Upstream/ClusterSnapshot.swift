import NIOCore
package import RPC

/// What a cluster looks like now, for the gateway's admin listener: per event loop, its breaker,
/// requests, and every endpoint with its health, ejection and connections.
package struct ClusterSnapshot: Sendable {
    package struct Endpoint: Sendable {
        package var address: String
        /// The `:authority` its calls send: the configured `host:port` it was resolved from.
        package var authority: String
        package var health: HealthStatus.State
        package var ejected: Bool
        package var ejections: Int
        package var inFlight: Int
        package var connections: [ConnectivityState]
        /// Its own breaker's state, when the cluster has one per endpoint.
        package var breaker: CircuitBreaker.State?
    }

    package struct Loop: Sendable {
        package var breaker: CircuitBreaker.State
        package var activeRequests: Int
        package var pendingRequests: Int
        package var activeRetries: Int
        package var endpoints: [Endpoint]
    }

    package var name: String
    package var loops: [Loop]

    /// Endpoints that are healthy (or unchecked), not ejected, with a ready connection (or one
    /// closed for idleness, which the next call connects again), on any loop.
    package var hasUsableEndpoint: Bool {
        self.loops.contains { loop in
            loop.endpoints.contains { endpoint in
                endpoint.health != .unhealthy && !endpoint.ejected
                    && endpoint.connections.contains { $0 == .ready || $0 == .idle }
            }
        }
    }
}

extension LoopPool {
    func snapshot() -> ClusterSnapshot.Loop {
        let now = self.eventLoop.now
        return ClusterSnapshot.Loop(
            breaker: self.breaker.state, activeRequests: self.activeRequests, pendingRequests: self.pending.count,
            activeRetries: self.retryBudget.activeRetries,
            endpoints: self.endpoints.map { endpoint in
                ClusterSnapshot.Endpoint(
                    address: "\(endpoint.address)", authority: endpoint.subchannels.first?.authority ?? "",
                    health: endpoint.health.state, ejected: endpoint.outlier.isEjected(now: now),
                    ejections: endpoint.outlier.ejections, inFlight: endpoint.inFlight,
                    connections: endpoint.subchannels.map(\.state), breaker: endpoint.breaker?.state)
            })
    }
}

extension LoopPool {
    /// Whether this loop can send a call now: a healthy (or unchecked), not ejected endpoint with a
    /// ready connection, or an idle one the call connects (the gateway's `/ready`).
    package var hasUsableEndpoint: Bool {
        ClusterSnapshot(name: "", loops: [self.snapshot()]).hasUsableEndpoint
    }
}
