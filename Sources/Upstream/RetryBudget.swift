/// Bounds retries in flight against requests in flight, so retries cannot storm a failing cluster.
package struct RetryBudget: Sendable {
    package let share: Double
    package let minimum: Int
    package private(set) var activeRequests = 0
    package private(set) var activeRetries = 0

    package init(share: Double, minimum: Int) {
        self.share = share
        self.minimum = minimum
    }

    package mutating func requestStarted() { self.activeRequests += 1 }
    package mutating func requestFinished() { self.activeRequests -= 1 }

    /// Takes room for one retry; false when the budget is spent.
    package mutating func tryStartRetry() -> Bool {
        let allowed = max(self.minimum, Int(Double(self.activeRequests) * self.share))
        guard self.activeRetries < allowed else { return false }
        self.activeRetries += 1
        return true
    }

    package mutating func retryFinished() { self.activeRetries -= 1 }
}
