import Logging
import PostgresNIO
import Synchronization

/// Runs postgres-nio's `PostgresClient` and swaps in a fresh one when asked, so that the service
/// finds a database that comes back within seconds, however long it was away.
///
/// The client's pool retries a failing connect with a backoff that grows by 1.25 per attempt up
/// to a minute: after a two-minute outage its next attempt may be a minute away. A client that
/// has no connection loses nothing when it is replaced, and a fresh one connects on the first
/// request. ``replace(ifOlderThan:)`` does that at most once per interval; the old client stops
/// (anything still waiting on it fails UNAVAILABLE) and the new one runs in its place, in the same
/// task as every client before it: ``run()``, under the process's `ServiceGroup`.
final class PostgresClientSupervisor: Sendable {
    private struct State {
        var current: Generation
        var startedAt: ContinuousClock.Instant
    }

    private let makeClient: @Sendable () -> PostgresClient
    private let state: Mutex<State>
    private let generations: AsyncStream<Generation>
    private let newGeneration: AsyncStream<Generation>.Continuation
    private let logger: Logger

    init(logger: Logger, makeClient: @escaping @Sendable () -> PostgresClient) {
        let first = Generation(client: makeClient())
        (self.generations, self.newGeneration) = AsyncStream.makeStream(of: Generation.self)
        self.newGeneration.yield(first)
        self.state = Mutex(State(current: first, startedAt: .now))
        self.makeClient = makeClient
        self.logger = logger
    }

    /// The client requests go to now.
    var client: PostgresClient { self.state.withLock { $0.current.client } }

    /// Replaces the current client with a fresh one, unless it started less than `interval` ago.
    func replace(ifOlderThan interval: Duration) {
        let retired = self.state.withLock { state -> Generation? in
            let now = ContinuousClock.now
            guard now - state.startedAt >= interval else { return nil }
            let old = state.current
            state.current = Generation(client: self.makeClient())
            state.startedAt = now
            self.newGeneration.yield(state.current)
            return old
        }
        guard let retired else { return }
        self.logger.notice("database client replaced: it has not connected for a while")
        retired.retire()
    }

    /// Runs every client, the first and each replacement, until cancelled (graceful shutdown
    /// cancels it too: each client's `run()` follows it).
    func run() async {
        await withDiscardingTaskGroup { group in
            for await generation in self.generations {
                group.addTask { await generation.run() }
            }
        }
    }
}

/// One client and the signal that retires it.
private final class Generation: Sendable {
    let client: PostgresClient
    private let retirement = Mutex<(retired: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(client: PostgresClient) {
        self.client = client
    }

    /// Runs the client until it is retired or the task is cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.retirement.withLock { state -> Bool in
                        if state.retired { return true }
                        state.waiter = waiter
                        return false
                    }
                    if resumeNow { waiter.resume() }
                }
            } onCancel: {
                self.retire()
            }
            group.cancelAll()
        }
    }

    /// Stops the client (once).
    func retire() {
        let waiter = self.retirement.withLock { state -> CheckedContinuation<Void, Never>? in
            state.retired = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
