import NIOCore
import NIOPosix
import Synchronization

/// Thrown by ``withTimeout(_:_:)`` when the operation did not finish in time.
struct TimeoutError: Error, CustomStringConvertible {
    var timeout: Duration

    var description: String { "no answer within \(self.timeout)" }
}

/// Runs `operation` and returns its result, or throws ``TimeoutError`` after `timeout`.
///
/// Returns at the timeout even when the operation ignores cancellation (an RPC call still waiting
/// for its connection does): the operation is cancelled and left to finish on its own, and its
/// late result is dropped.
func withTimeout<Result: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Result
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
            let (seconds, attoseconds) = timeout.components
            let delay = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: delay) {
                guard let continuation = race.continuation.withLock({ $0.take() }) else { return }
                race.work.withLock { $0?.cancel() }
                continuation.resume(throwing: TimeoutError(timeout: timeout))
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
