import Synchronization

/// Bounds how many service harnesses run at once. Swift Testing runs every test case in parallel; on a small
/// machine dozens of services hashing at 19 MiB each and creating PostgreSQL databases at once only make each
/// other time out, so harnesses wait for a slot instead. A timing test takes every slot, to run alone.
final class HarnessLimiter: Sendable {
    static let shared = HarnessLimiter(slots: 4)

    private struct State {
        var free: Int
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let slots: Int
    private let state: Mutex<State>

    init(slots: Int) {
        self.slots = slots
        self.state = Mutex(State(free: slots))
    }

    /// Runs `body` holding one slot, or all of them when `exclusive`.
    func withSlot<T>(exclusive: Bool = false, _ body: () async throws -> T) async throws -> T {
        let count = exclusive ? self.slots : 1
        await self.acquire(count)
        defer { self.release(count) }
        return try await body()
    }

    private func acquire(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = self.state.withLock { state in
                // First come, first served: nobody overtakes a waiting exclusive run.
                guard state.waiters.isEmpty, state.free >= count else {
                    state.waiters.append((count, continuation))
                    return false
                }
                state.free -= count
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release(_ count: Int) {
        let ready = self.state.withLock { state in
            state.free += count
            var ready: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiters.first, first.count <= state.free {
                state.free -= first.count
                ready.append(state.waiters.removeFirst().continuation)
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }
}
