import NIOCore
import NIOPosix
import Synchronization

/// Thrown when a database operation does not finish in time; it counts as unavailable.
package struct DatabaseTimeoutError: Error, Sendable, CustomStringConvertible {
    package var timeout: Duration

    package init(timeout: Duration) {
        self.timeout = timeout
    }

    package var description: String { "the database did not answer within \(self.timeout)" }
}

/// Thrown by ``withTimeout(_:_:)`` when the operation did not finish in time.
package struct TimeoutError: Error, Sendable, CustomStringConvertible {
    package var timeout: Duration

    package var description: String { "no answer within \(self.timeout)" }
}

/// Runs `operation` and returns its result, or throws ``TimeoutError`` after `timeout`.
package func withTimeout<Result: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withTimeout(timeout, throwing: { TimeoutError(timeout: $0) }, operation)
}

/// Runs `operation` and returns its result, or throws `makeError(timeout)` after `timeout`.
///
/// Unlike a task-group race, this returns at the timeout even when the operation ignores
/// cancellation (a future from a connection pool, an RPC call still waiting for its connection):
/// the operation is cancelled and left to finish on its own, and its late result is dropped.
package func withTimeout<Result: Sendable>(
    _ timeout: Duration, throwing makeError: @escaping @Sendable (Duration) -> any Error,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let race = TimeoutRace<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            race.continuation.withLock { $0 = continuation }
            let task = Task {
                let result: Swift.Result<Result, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                race.timer.withLock { $0?.cancel() }
                race.continuation.withLock { $0.take() }?.resume(with: result)
            }
            race.work.withLock { $0 = task }
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .init(timeout)) {
                guard let continuation = race.continuation.withLock({ $0.take() }) else { return }
                race.work.withLock { $0?.cancel() }
                continuation.resume(throwing: makeError(timeout))
            }
            race.timer.withLock { $0 = timer }
        }
    } onCancel: {
        race.work.withLock { $0?.cancel() }
    }
}

/// The shared state of one ``withTimeout(_:_:)``: whoever takes the continuation first answers.
private final class TimeoutRace<Result: Sendable>: Sendable {
    let continuation = Mutex<CheckedContinuation<Result, any Error>?>(nil)
    let work = Mutex<Task<Void, Never>?>(nil)
    let timer = Mutex<Scheduled<Void>?>(nil)
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
