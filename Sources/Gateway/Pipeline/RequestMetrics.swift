import CoreMetrics

/// The gateway's request metrics for one event loop (OpenTelemetry names, as Prometheus writes
/// them): `http.server.requests` counted and `http.server.request.duration` timed, by route and
/// status. Handles are made once per (route, status) and kept, so a request costs two dictionary
/// lookups and two atomic updates.
final class RequestMetrics {
    private struct Key: Hashable {
        var route: Int
        var status: Int
    }

    private var handles: [Key: (counter: Counter, timer: Timer)] = [:]
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// Records one answered request: `route` is the binding's name (bounded: routes come from the
    /// descriptors) or `-` for requests no route matched.
    func record(routeIndex: Int, routeName: @autoclosure () -> String, status: Int, nanoseconds: Int64) {
        let key = Key(route: routeIndex, status: status)
        let handle: (counter: Counter, timer: Timer)
        if let existing = self.handles[key] {
            handle = existing
        } else {
            let dimensions = [("route", routeName()), ("status", String(status))]
            handle = (
                Counter(label: "http_server_requests", dimensions: dimensions, factory: self.factory),
                Timer(label: "http_server_request_duration", dimensions: dimensions, factory: self.factory)
            )
            self.handles[key] = handle
        }
        handle.counter.increment()
        handle.timer.recordNanoseconds(nanoseconds)
    }
}
