import Synchronization

/// A flag that can be claimed once, from any thread.
final class Once: Sendable {
    private let claimed = Mutex(false)

    init() {}

    /// True the first time only.
    func claim() -> Bool {
        self.claimed.withLock { claimed in
            defer { claimed = true }
            return !claimed
        }
    }
}
