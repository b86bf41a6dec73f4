import CoreMetrics
import RPC

/// The cluster's swift-metrics instruments, one set per event loop (handles are created once;
/// a call's duration timer is looked up by method and status in this loop's own table, no lock).
///
/// Names follow OpenTelemetry: `rpc.client.duration` by cluster, method and status code;
/// `upstream.retries`, `upstream.retries.over_budget`, `upstream.ejections`, `upstream.rejections` (by reason) counters;
/// `upstream.breaker.transitions` by state; `upstream.health.changes` by result.
final class UpstreamMetrics {
    private struct DurationKey: Hashable {
        var path: String
        var code: Int
    }

    private let cluster: String
    private let factory: any MetricsFactory
    private var durations: [DurationKey: CoreMetrics.Timer] = [:]
    private let retries: Counter
    private let retriesRefused: Counter
    private let ejections: Counter
    private let circuitOpenRejections: Counter
    private let overloadRejections: Counter
    private let breakerOpened: Counter
    private let breakerHalfOpened: Counter
    private let breakerClosed: Counter
    private let becameHealthy: Counter
    private let becameUnhealthy: Counter

    init(cluster: String, factory: any MetricsFactory) {
        self.cluster = cluster
        self.factory = factory
        let dimensions = [("cluster", cluster)]
        self.retries = Counter(label: "upstream.retries", dimensions: dimensions, factory: factory)
        self.retriesRefused = Counter(label: "upstream.retries.over_budget", dimensions: dimensions, factory: factory)
        self.ejections = Counter(label: "upstream.ejections", dimensions: dimensions, factory: factory)
        self.circuitOpenRejections = Counter(
            label: "upstream.rejections", dimensions: dimensions + [("reason", "circuit_open")], factory: factory)
        self.overloadRejections = Counter(
            label: "upstream.rejections", dimensions: dimensions + [("reason", "overloaded")], factory: factory)
        self.breakerOpened = Counter(
            label: "upstream.breaker.transitions", dimensions: dimensions + [("state", "open")], factory: factory)
        self.breakerHalfOpened = Counter(
            label: "upstream.breaker.transitions", dimensions: dimensions + [("state", "half_open")], factory: factory)
        self.breakerClosed = Counter(
            label: "upstream.breaker.transitions", dimensions: dimensions + [("state", "closed")], factory: factory)
        self.becameHealthy = Counter(
            label: "upstream.health.changes", dimensions: dimensions + [("health", "healthy")], factory: factory)
        self.becameUnhealthy = Counter(
            label: "upstream.health.changes", dimensions: dimensions + [("health", "unhealthy")], factory: factory)
    }

    func recordCall(method: MethodDescriptor, code: RPCError.Code, duration: Duration) {
        let key = DurationKey(path: method.path, code: code.rawValue)
        let timer: CoreMetrics.Timer
        if let existing = self.durations[key] {
            timer = existing
        } else {
            timer = CoreMetrics.Timer(
                label: "rpc.client.duration",
                dimensions: [
                    ("cluster", self.cluster), ("rpc.method", method.path), ("rpc.grpc.status_code", code.name),
                ],
                factory: self.factory)
            self.durations[key] = timer
        }
        timer.recordNanoseconds(Self.nanoseconds(duration))
    }

    func retried() { self.retries.increment() }
    func retryRefused() { self.retriesRefused.increment() }
    func ejected() { self.ejections.increment() }

    func rejected(reason: UpstreamFailure.Reason) {
        if reason == .circuitOpen {
            self.circuitOpenRejections.increment()
        } else {
            self.overloadRejections.increment()
        }
    }

    func breakerChanged(_ transition: CircuitBreaker.Transition) {
        switch transition {
        case .opened: self.breakerOpened.increment()
        case .halfOpened: self.breakerHalfOpened.increment()
        case .closed: self.breakerClosed.increment()
        }
    }

    func healthChanged(healthy: Bool) {
        if healthy { self.becameHealthy.increment() } else { self.becameUnhealthy.increment() }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
