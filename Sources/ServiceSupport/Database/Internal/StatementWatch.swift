import NIOCore
import PostgresNIO
import Synchronization

/// Runs one use of a leased connection (a statement, or a transaction's statements) in its own
/// task, and stops waiting for it when the connection closes under it.
///
/// postgres-nio writes a statement to its channel without a promise: a statement written just
/// after the channel closed never reaches the protocol handler, so it is never answered, and the
/// task running it (and its lease) would wait forever. That is what kept pool slots taken after a
/// cut. Here the caller checks the connection every `interval` while the use runs: once it is
/// closed and the use has still not finished, the caller fails UNAVAILABLE and gives the
/// connection back, and the stuck task is left to itself (it holds only the closed connection).
/// Cancelling the caller (its deadline passed) cancels the use and closes the connection, so a
/// statement on a connection that never answers ends the same way.
enum StatementWatch {
    /// Thrown when the connection closed while a statement was under way; it counts as unavailable.
    struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the database connection closed during the statement" }
    }

    static func run<Result>(
        on connection: PostgresConnection, executor: EventLoopExecutor, checkEvery interval: Duration,
        _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let race = Race<Result>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                race.continuation.withLock { $0 = continuation }
                let task = Task(executorPreference: executor) {
                    do {
                        let value = try await body()
                        race.finish()?.resume(returning: value)
                    } catch {
                        race.finish()?.resume(throwing: error)
                    }
                }
                race.work.withLock { $0 = task }
                let check = connection.eventLoop.scheduleRepeatedTask(
                    initialDelay: TimeAmount(interval), delay: TimeAmount(interval)
                ) { repeated in
                    guard connection.isClosed else { return }
                    repeated.cancel()
                    race.finish()?.resume(throwing: DatabaseError(code: .unavailable, cause: ConnectionClosed()))
                }
                race.check.withLock { $0 = check }
                if race.isFinished { check.cancel() }
            }
        } onCancel: {
            race.work.withLock { $0?.cancel() }
            let closeNow: () -> Void = connection.close
            closeNow()
        }
    }

    /// Who answers the caller first: the use finishing, or the check finding the connection closed.
    private final class Race<Result>: Sendable {
        let continuation = Mutex<CheckedContinuation<Result, any Error>?>(nil)
        let work = Mutex<Task<Void, Never>?>(nil)
        let check = Mutex<RepeatedTask?>(nil)

        var isFinished: Bool { self.continuation.withLock { $0 == nil } }

        /// Takes the continuation (nil when already answered) and stops the check.
        func finish() -> CheckedContinuation<Result, any Error>? {
            let continuation = self.continuation.withLock { $0.take() }
            self.check.withLock { $0?.cancel() }
            return continuation
        }
    }
}
