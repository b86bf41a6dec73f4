import NIOCore
import RPC
import Upstream

extension AdminDocuments {
    /// `cluster_settings` of `/admin/config`: each cluster's balancing, limits, breaker, ejection
    /// and retry settings in force, the defaults included, durations in milliseconds.
    static func writeClusterSettings(_ configuration: GatewayConfiguration, to out: inout ByteBuffer) {
        out.writeStaticString("{")
        for (index, name) in configuration.clusters.keys.sorted().enumerated() {
            if index > 0 { out.writeStaticString(",") }
            let settings = configuration.clusters[name]!
            let cluster = settings.clusterConfiguration(name: name)
            JSONText.writeString(name, to: &out)
            out.writeStaticString(":{\"load_balancing\":")
            out.writeStaticString(cluster.loadBalancing == .roundRobin ? "\"round_robin\"" : "\"least_request\"")
            out.writeString(",\"connections_per_endpoint\":\(cluster.connectionsPerEndpoint)")
            out.writeString(",\"max_concurrent_streams\":\(cluster.maxConcurrentStreams)")
            out.writeString(",\"connect_timeout_ms\":\(Self.milliseconds(cluster.connectTimeout))")
            out.writeString(",\"idle_timeout_ms\":\(cluster.idleTimeout.map { "\(Self.milliseconds($0))" } ?? "null")")
            out.writeString(",\"deadline_margin_ms\":\(Self.milliseconds(cluster.deadlineMargin))")
            out.writeString(",\"max_pending_requests\":\(cluster.maxPendingRequests)")
            out.writeString(",\"max_active_requests\":\(cluster.maxActiveRequests)")
            out.writeString(",\"health_check\":\(cluster.healthCheck != nil)")
            out.writeString(",\"endpoint_circuit_breaker\":\(cluster.endpointCircuitBreaker != nil)")
            let breaker = cluster.circuitBreaker
            out.writeString(
                ",\"circuit_breaker\":{\"failure_rate\":\(breaker.failureRateThreshold)"
                    + ",\"slow_call_rate\":\(breaker.slowCallRateThreshold)"
                    + ",\"slow_call_duration_ms\":\(Self.milliseconds(breaker.slowCallDuration))"
                    + ",\"window\":\(breaker.windowSize),\"minimum_calls\":\(breaker.minimumCalls)"
                    + ",\"open_duration_ms\":\(Self.milliseconds(breaker.openDuration))"
                    + ",\"half_open_probes\":\(breaker.halfOpenProbes)}")
            let outlier = cluster.outlierDetection
            out.writeString(
                ",\"outlier_detection\":{\"consecutive_faults\":\(outlier.consecutiveFaults)"
                    + ",\"base_ejection_time_ms\":\(Self.milliseconds(outlier.baseEjectionTime))"
                    + ",\"max_ejection_time_ms\":\(Self.milliseconds(outlier.maxEjectionTime))"
                    + ",\"max_ejected_share\":\(outlier.maxEjectedShare)}")
            let retry = cluster.retry
            out.writeString(
                ",\"retry\":{\"max_attempts\":\(retry.maxAttempts)"
                    + ",\"initial_backoff_ms\":\(Self.milliseconds(retry.initialBackoff))"
                    + ",\"max_backoff_ms\":\(Self.milliseconds(retry.maxBackoff))"
                    + ",\"backoff_multiplier\":\(retry.backoffMultiplier),\"retryable_codes\":[")
            for (position, code) in retry.retryableCodes.sorted(by: { $0.rawValue < $1.rawValue }).enumerated() {
                if position > 0 { out.writeStaticString(",") }
                JSONText.writeString(code.name, to: &out)
            }
            out.writeString(
                "],\"budget_share\":\(retry.budgetShare),\"min_retry_concurrency\":\(retry.minRetryConcurrency)}}")
        }
        out.writeStaticString("}")
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
