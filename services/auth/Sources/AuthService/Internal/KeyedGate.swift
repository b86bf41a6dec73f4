import RPC
import Synchronization

/// One caller at a time per key (FIFO), at most `maximumWaiters` waiting per key; further callers fail with
/// `busyError`. Keys nobody holds or waits for take no memory.
final class KeyedGate: Sendable {
    private struct Entry {
        let queue: WaitQueue
        var users: Int
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let maximumWaiters: Int
    private let busyError: RPCError

    init(maximumWaiters: Int, busyError: RPCError) {
        self.maximumWaiters = maximumWaiters
        self.busyError = busyError
    }

    /// Runs `body` while no other caller with `key` runs.
    func withPermit<T: Sendable>(for key: String, _ body: () async throws -> T) async throws -> T {
        let queue = self.entries.withLock { entries in
            if var entry = entries[key] {
                entry.users += 1
                entries[key] = entry
                return entry.queue
            }
            let queue = WaitQueue(permits: 1, maximumWaiters: self.maximumWaiters, busyError: self.busyError)
            entries[key] = Entry(queue: queue, users: 1)
            return queue
        }
        defer {
            self.entries.withLock { entries in
                guard var entry = entries[key] else { return }
                entry.users -= 1
                entries[key] = entry.users == 0 ? nil : entry
            }
        }
        return try await queue.withPermit(body)
    }
}
