import RPC
import Synchronization

/// A counting semaphore for async callers: at most `permits` holders, at most `maximumWaiters` waiting in FIFO
/// order; further callers fail at once. A waiter whose task is cancelled leaves the queue.
final class WaitQueue: Sendable {
    private enum Waiter {
        case pending
        case waiting(CheckedContinuation<Void, any Error>)
        case cancelled
    }

    private struct State {
        var available: Int
        var waiters: [UInt64: Waiter] = [:]
        var order: [UInt64] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>
    private let maximumWaiters: Int
    private let busyError: RPCError

    init(permits: Int, maximumWaiters: Int, busyError: RPCError) {
        precondition(permits > 0, "a wait queue needs at least one permit")
        self.state = Mutex(State(available: permits))
        self.maximumWaiters = maximumWaiters
        self.busyError = busyError
    }

    /// Runs `body` holding a permit.
    func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await self.acquire()
        defer { self.release() }
        return try await body()
    }

    private func acquire() async throws {
        let id = self.state.withLock { state in
            state.nextID += 1
            state.waiters[state.nextID] = .pending
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = self.state.withLock { state in
                    if case .cancelled? = state.waiters.removeValue(forKey: id) {
                        return .failure(CancellationError())
                    }
                    if state.available > 0 {
                        state.available -= 1
                        return .success(())
                    }
                    guard state.order.count < self.maximumWaiters else { return .failure(self.busyError) }
                    state.waiters[id] = .waiting(continuation)
                    state.order.append(id)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, any Error>? = self.state.withLock { state in
                switch state.waiters[id] {
                case .pending:
                    state.waiters[id] = .cancelled
                    return nil
                case .waiting(let continuation):
                    state.waiters[id] = nil
                    state.order.removeAll { $0 == id }
                    return continuation
                case .cancelled, nil:
                    return nil
                }
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, any Error>? = self.state.withLock { state in
            while !state.order.isEmpty {
                let id = state.order.removeFirst()
                if case .waiting(let continuation)? = state.waiters.removeValue(forKey: id) {
                    return continuation  // the permit passes straight to the next waiter
                }
            }
            state.available += 1
            return nil
        }
        next?.resume()
    }
}
