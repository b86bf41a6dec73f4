import NIOCore

/// A token bucket: `capacity` events in a burst, refilled at `refillPerSecond`.
struct TokenBucket {
    let capacity: Double
    let refillPerSecond: Double
    private var tokens: Double
    private var lastRefill: NIODeadline?

    init(capacity: Int, refillPerSecond: Int) {
        self.capacity = Double(capacity)
        self.refillPerSecond = Double(refillPerSecond)
        self.tokens = Double(capacity)
    }

    /// Takes one token; false when the bucket is empty.
    mutating func take(now: NIODeadline) -> Bool {
        if let lastRefill {
            let elapsed = Double((now - lastRefill).nanoseconds) / 1e9
            self.tokens = min(self.capacity, self.tokens + elapsed * self.refillPerSecond)
        }
        self.lastRefill = now
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }
}
