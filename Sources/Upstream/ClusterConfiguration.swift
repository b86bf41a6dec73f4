package import HTTP2
package import RPC

/// One upstream cluster: where its endpoints are and how calls to it are balanced, limited,
/// retried and checked. Every time is a `Duration`; `defaults` are safe for a gateway.
package struct ClusterConfiguration: Sendable {
    /// A `host:port`; a DNS name stands for all the addresses it resolves to.
    package struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        package var host: String
        package var port: Int

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `host:port` (`[v6]:port` for IPv6 literals).
        package init?(_ text: String) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (1...65535).contains(port)
            else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { return nil }
            self.init(host: host, port: port)
        }

        package var description: String {
            self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
        }
    }

    package enum LoadBalancing: Sendable, Hashable {
        /// Round-robin over healthy endpoints, then over their connections with a free stream.
        case roundRobin
        /// Least requests in flight between two endpoints picked at random.
        case leastRequest
    }

    /// Active health checking with `grpc.health.v1` (Watch, or Check polls where Watch is UNIMPLEMENTED).
    package struct HealthCheck: Sendable, Hashable {
        /// The service name asked about ("" = the server as a whole).
        package var service = ""
        /// Check polls, and the wait before a broken Watch stream is opened again.
        package var interval: Duration = .seconds(5)
        /// How long one Check may take.
        package var timeout: Duration = .seconds(1)
        package var healthyThreshold = 2
        package var unhealthyThreshold = 3

        package init() {}
    }

    package var name: String
    package var endpoints: [Endpoint]
    /// How often DNS names are resolved again (changes apply without dropping calls).
    package var resolveInterval: Duration = .seconds(30)
    /// HTTP/2 connections to each endpoint, on each event loop.
    package var connectionsPerEndpoint = 1
    /// Streams per connection, at most (the server's own limit applies too).
    package var maxConcurrentStreams = 100
    package var connectTimeout: Duration = .seconds(2)
    /// Reconnection after a failed attempt.
    package var reconnectBackoff = Backoff(
        initial: .milliseconds(100), multiplier: 1.6, jitter: 0.2, maximum: .seconds(10))
    package var loadBalancing = LoadBalancing.roundRobin
    /// Deadline of a call that comes without one.
    package var defaultTimeout: Duration = .seconds(10)
    /// Taken off the budget each attempt sends upstream as `grpc-timeout` (and waits for): the
    /// caller's own work after the answer (transcoding, writing it) must fit inside its deadline.
    /// An attempt always gets at least half the budget left.
    package var deadlineMargin: Duration = .milliseconds(2)
    /// Calls waiting for a free stream, per event loop; past it calls fail at once.
    package var maxPendingRequests = 1024
    /// Calls in flight (waiting or sent), per event loop; past it calls fail at once.
    package var maxActiveRequests = 10_000
    package var circuitBreaker = CircuitBreaker.Configuration.defaults
    /// A breaker per endpoint (per event loop), judged on that endpoint's attempts; nil: none.
    ///
    /// Outlier ejection needs `consecutiveFaults` in a row, so an endpoint failing every other call
    /// is never ejected, and the cluster's breaker averages it with the healthy ones (one of four
    /// endpoints failing half its calls is a 12.5% cluster failure rate). A per-endpoint breaker
    /// sees that endpoint's own failure or slow-call rate, takes it out of the rotation while open,
    /// and lets it back through half-open probes rather than after a fixed time. Its open state
    /// makes an endpoint ineligible like an ejection; when every endpoint's breaker is open, calls
    /// fail at once (no endpoint), as with the cluster's breaker.
    package var endpointCircuitBreaker: CircuitBreaker.Configuration? = nil
    package var outlierDetection = OutlierDetector.Configuration.defaults
    package var retry = RetryPolicy.defaults
    /// Nil: no active health checking.
    package var healthCheck: HealthCheck? = HealthCheck()
    /// Keepalive PINGs of the HTTP/2 connections.
    package var keepalive: HTTP2.Configuration.Keepalive? = HTTP2.Configuration.Keepalive()
    /// A connection that carried no call for this long is closed (between one and two timeouts
    /// after its last call); health checks do not count as calls, and pause while it is closed
    /// (the endpoint keeps its last health). The next call on the loop connects every idle
    /// connection again and waits for the first one ready. Nil: connections stay open.
    package var idleTimeout: Duration? = nil

    package init(name: String, endpoints: [Endpoint]) {
        self.name = name
        self.endpoints = endpoints
    }
}
