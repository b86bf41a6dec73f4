/// What active health checking knows of one endpoint, with healthy/unhealthy thresholds.
///
/// A `grpc.health.v1` Watch push is the server's own word and applies at once (NOT_SERVING drains
/// the endpoint); check results (Check polls, a failed Watch stream) move it only after
/// `unhealthyThreshold` failures or `healthyThreshold` successes in a row.
package struct HealthStatus: Sendable {
    package enum State: Sendable, Hashable, CustomStringConvertible {
        /// No answer yet: calls may go there (a new endpoint is not held back by its first check).
        case unknown
        case healthy
        case unhealthy

        package var description: String {
            switch self {
            case .unknown: "unknown"
            case .healthy: "healthy"
            case .unhealthy: "unhealthy"
            }
        }
    }

    package let healthyThreshold: Int
    package let unhealthyThreshold: Int
    package private(set) var state = State.unknown
    private var successes = 0
    private var failures = 0

    package init(healthyThreshold: Int, unhealthyThreshold: Int) {
        self.healthyThreshold = max(1, healthyThreshold)
        self.unhealthyThreshold = max(1, unhealthyThreshold)
    }

    /// Whether calls may be sent there.
    package var admitsCalls: Bool { self.state != .unhealthy }

    /// The server pushed its status on a Watch stream. Returns the new state if it changed.
    package mutating func watchReported(serving: Bool) -> State? {
        self.successes = 0
        self.failures = 0
        return self.set(serving ? .healthy : .unhealthy)
    }

    /// A check answered SERVING. Returns the new state if it changed.
    package mutating func checkSucceeded() -> State? {
        self.failures = 0
        self.successes += 1
        if self.state == .unknown || self.successes >= self.healthyThreshold { return self.set(.healthy) }
        return nil
    }

    /// A check failed: NOT_SERVING, an error, a timeout, or a Watch stream that broke.
    package mutating func checkFailed() -> State? {
        self.successes = 0
        self.failures += 1
        if self.failures >= self.unhealthyThreshold { return self.set(.unhealthy) }
        return nil
    }

    private mutating func set(_ state: State) -> State? {
        guard state != self.state else { return nil }
        self.state = state
        return state
    }
}
