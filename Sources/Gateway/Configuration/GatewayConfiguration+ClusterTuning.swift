import RPC
package import Upstream

/// A cluster's balancing, limits, breaker, ejection and retry keys: each one optional, the
/// `Upstream` layer's default where absent, and a value out of range refused naming its key.
extension GatewayConfiguration.ClusterSettings {
    /// The keys read here, beside the cluster's own.
    static let tuningKeys: Set<String> = [
        "load_balancing", "max_concurrent_streams", "idle_timeout", "max_pending_requests", "max_active_requests",
        "circuit_breaker", "outlier_detection", "retry",
    ]

    /// The `Upstream` configuration of cluster `name`.
    package func clusterConfiguration(name: String) -> ClusterConfiguration {
        var cluster = ClusterConfiguration(
            name: name, endpoints: self.endpoints.compactMap(ClusterConfiguration.Endpoint.init))
        cluster.connectionsPerEndpoint = self.connectionsPerEndpoint
        cluster.connectTimeout = self.connectTimeout
        cluster.deadlineMargin = self.deadlineMargin
        cluster.loadBalancing = self.loadBalancing
        cluster.maxConcurrentStreams = self.maxConcurrentStreams
        cluster.idleTimeout = self.idleTimeout
        cluster.maxPendingRequests = self.maxPendingRequests
        cluster.maxActiveRequests = self.maxActiveRequests
        cluster.circuitBreaker = self.circuitBreaker
        // An endpoint's breaker judges that endpoint's calls by the cluster's thresholds.
        cluster.endpointCircuitBreaker = self.endpointCircuitBreaker ? self.circuitBreaker : nil
        cluster.outlierDetection = self.outlierDetection
        cluster.retry = self.retry
        if let service = self.healthCheckService {
            cluster.healthCheck?.service = service
        } else {
            cluster.healthCheck = nil
        }
        return cluster
    }

    mutating func decodeTuning(from container: KeyedDecodingContainer<AnyCodingKey>) throws {
        if let policy = try container.decodeIfPresent(String.self, forKey: AnyCodingKey("load_balancing")) {
            switch policy {
            case "round_robin": self.loadBalancing = .roundRobin
            case "least_request": self.loadBalancing = .leastRequest
            default:
                throw ConfigurationError(
                    key: container.path("load_balancing"), "'\(policy)' is not round_robin or least_request")
            }
        }
        self.maxConcurrentStreams =
            try container.int("max_concurrent_streams", in: 1...1_000_000) ?? self.maxConcurrentStreams
        self.idleTimeout = try container.duration("idle_timeout") ?? self.idleTimeout
        self.maxPendingRequests =
            try container.int("max_pending_requests", in: 0...10_000_000) ?? self.maxPendingRequests
        self.maxActiveRequests = try container.int("max_active_requests", in: 1...10_000_000) ?? self.maxActiveRequests
        if container.contains(AnyCodingKey("circuit_breaker")) {
            self.circuitBreaker = try Self.breaker(
                container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: AnyCodingKey("circuit_breaker")),
                decoder: container.superDecoder(forKey: AnyCodingKey("circuit_breaker")))
        }
        if container.contains(AnyCodingKey("outlier_detection")) {
            self.outlierDetection = try Self.outlier(
                container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: AnyCodingKey("outlier_detection")),
                decoder: container.superDecoder(forKey: AnyCodingKey("outlier_detection")))
        }
        if container.contains(AnyCodingKey("retry")) {
            self.retry = try Self.retry(
                container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: AnyCodingKey("retry")),
                decoder: container.superDecoder(forKey: AnyCodingKey("retry")))
        }
    }

    private static func breaker(
        _ keys: KeyedDecodingContainer<AnyCodingKey>, decoder: any Decoder
    ) throws -> CircuitBreaker.Configuration {
        try decoder.refuseUnknownKeys([
            "failure_rate", "slow_call_rate", "slow_call_duration", "window", "minimum_calls", "open_duration",
            "half_open_probes",
        ])
        var breaker = CircuitBreaker.Configuration.defaults
        breaker.failureRateThreshold = try keys.share("failure_rate") ?? breaker.failureRateThreshold
        breaker.slowCallRateThreshold = try keys.share("slow_call_rate") ?? breaker.slowCallRateThreshold
        breaker.slowCallDuration = try keys.duration("slow_call_duration") ?? breaker.slowCallDuration
        breaker.windowSize = try keys.int("window", in: 1...100_000) ?? breaker.windowSize
        breaker.minimumCalls = try keys.int("minimum_calls", in: 1...100_000) ?? breaker.minimumCalls
        breaker.openDuration = try keys.duration("open_duration") ?? breaker.openDuration
        breaker.halfOpenProbes = try keys.int("half_open_probes", in: 1...10_000) ?? breaker.halfOpenProbes
        guard breaker.minimumCalls <= breaker.windowSize else {
            // The window could never hold enough calls: the breaker would never open.
            throw ConfigurationError(
                key: keys.path("minimum_calls"),
                "\(breaker.minimumCalls) is more than the window (\(breaker.windowSize))")
        }
        return breaker
    }

    private static func outlier(
        _ keys: KeyedDecodingContainer<AnyCodingKey>, decoder: any Decoder
    ) throws -> OutlierDetector.Configuration {
        try decoder.refuseUnknownKeys([
            "consecutive_faults", "base_ejection_time", "max_ejection_time", "max_ejected_share",
        ])
        var outlier = OutlierDetector.Configuration.defaults
        outlier.consecutiveFaults = try keys.int("consecutive_faults", in: 1...1_000_000) ?? outlier.consecutiveFaults
        outlier.baseEjectionTime = try keys.duration("base_ejection_time") ?? outlier.baseEjectionTime
        outlier.maxEjectionTime = try keys.duration("max_ejection_time") ?? outlier.maxEjectionTime
        outlier.maxEjectedShare = try keys.share("max_ejected_share") ?? outlier.maxEjectedShare
        guard outlier.baseEjectionTime <= outlier.maxEjectionTime else {
            throw ConfigurationError(key: keys.path("max_ejection_time"), "shorter than base_ejection_time")
        }
        return outlier
    }

    private static func retry(_ keys: KeyedDecodingContainer<AnyCodingKey>, decoder: any Decoder) throws -> RetryPolicy
    {
        try decoder.refuseUnknownKeys([
            "max_attempts", "initial_backoff", "max_backoff", "backoff_multiplier", "retryable_codes", "budget_share",
            "min_retry_concurrency",
        ])
        var retry = RetryPolicy.defaults
        retry.maxAttempts = try keys.int("max_attempts", in: 1...10) ?? retry.maxAttempts
        retry.initialBackoff = try keys.duration("initial_backoff") ?? retry.initialBackoff
        retry.maxBackoff = try keys.duration("max_backoff") ?? retry.maxBackoff
        if let multiplier = try keys.decodeIfPresent(Double.self, forKey: AnyCodingKey("backoff_multiplier")) {
            guard multiplier >= 1, multiplier <= 10 else {
                throw ConfigurationError(key: keys.path("backoff_multiplier"), "\(multiplier) is out of range (1...10)")
            }
            retry.backoffMultiplier = multiplier
        }
        if let names = try keys.decodeIfPresent([String].self, forKey: AnyCodingKey("retryable_codes")) {
            retry.retryableCodes = []
            for (index, name) in names.enumerated() {
                guard let code = Self.retryableCode(named: name) else {
                    throw ConfigurationError(
                        key: keys.path("retryable_codes") + "[\(index)]",
                        "'\(name)' is not a gRPC status that can be retried (UNAVAILABLE, RESOURCE_EXHAUSTED, ...)")
                }
                retry.retryableCodes.insert(code)
            }
        }
        retry.budgetShare = try keys.share("budget_share") ?? retry.budgetShare
        retry.minRetryConcurrency = try keys.int("min_retry_concurrency", in: 0...100_000) ?? retry.minRetryConcurrency
        guard retry.initialBackoff <= retry.maxBackoff else {
            throw ConfigurationError(key: keys.path("max_backoff"), "shorter than initial_backoff")
        }
        return retry
    }

    /// A status by its canonical name; OK, CANCELLED and DEADLINE_EXCEEDED are never retried
    /// (success, the caller's own wish, the caller's own budget).
    private static func retryableCode(named name: String) -> RPCError.Code? {
        let never: Set<RPCError.Code> = [.ok, .cancelled, .deadlineExceeded]
        return (0...16).lazy.map { RPCError.Code(rawValue: $0) }.first { $0.name == name && !never.contains($0) }
    }
}

extension KeyedDecodingContainer where Key == AnyCodingKey {
    /// `clusters.video.retry.max_attempts`.
    fileprivate func path(_ name: String) -> String { (self.codingPath + [AnyCodingKey(name)]).dottedPath }

    fileprivate func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = try self.decodeIfPresent(Int.self, forKey: AnyCodingKey(name)) else { return nil }
        guard range.contains(value) else {
            throw ConfigurationError(
                key: self.path(name), "\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return value
    }

    /// A share of something, 0...1.
    fileprivate func share(_ name: String) throws -> Double? {
        guard let value = try self.decodeIfPresent(Double.self, forKey: AnyCodingKey(name)) else { return nil }
        guard value >= 0, value <= 1 else {
            throw ConfigurationError(key: self.path(name), "\(value) is not a share between 0 and 1")
        }
        return value
    }

    fileprivate func duration(_ name: String) throws -> Duration? {
        try self.decodeIfPresent(ConfigDuration.self, forKey: AnyCodingKey(name))?.duration
    }
}
