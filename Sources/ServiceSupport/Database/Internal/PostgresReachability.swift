import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Whether the server accepts a connection now, asked outside the pool: it opens one connection
/// and closes it again. One check runs at a time; whoever asks meanwhile gets its answer.
///
/// The pool cannot say why a lease is slow. This can: a refused or dropped connection means the
/// database is gone (answer UNAVAILABLE now, not at the acquire timeout), and a connection that
/// works while the pool still has none means the pool is only waiting out its backoff.
final class PostgresReachability: Sendable {
    typealias Completion = @Sendable (Result<Void, any Error>) -> Void

    private enum State {
        case idle
        case checking([Completion])
    }

    private let url: PostgresURL
    private let connectTimeout: Duration
    /// Made at the first check (TLS contexts load the system's trust roots, which is not free).
    private let configuration = Mutex<Result<PostgresConnection.Configuration, any Error>?>(nil)
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State.idle)
    /// Ids for the check's connections (negative, apart from the pool's), for logs.
    private let nextID = Atomic(-1)

    init(url: PostgresURL, connectTimeout: Duration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Connects once (or joins the check under way) and calls `completion` with the outcome.
    func check(_ completion: @escaping Completion) {
        let start = self.state.withLock { state -> Bool in
            switch state {
            case .idle:
                state = .checking([completion])
                return true
            case .checking(var waiting):
                waiting.append(completion)
                state = .checking(waiting)
                return false
            }
        }
        guard start else { return }
        let made = self.configuration.withLock { made in
            if let made { return made }
            let result = Result(catching: {
                var configuration = try self.url.connectionConfiguration()
                configuration.options.connectTimeout = TimeAmount(self.connectTimeout)
                return configuration
            })
            made = result
            return result
        }
        let configuration: PostgresConnection.Configuration
        switch made {
        case .success(let value): configuration = value
        case .failure(let error): return self.finish(.failure(error))
        }
        let id = self.nextID.subtract(1, ordering: .relaxed).oldValue
        PostgresConnection.connect(
            on: self.eventLoopGroup.any(), configuration: configuration, id: id, logger: self.logger
        ).whenComplete { result in
            switch result {
            case .success(let connection):
                let closed: EventLoopFuture<Void> = connection.close()
                closed.whenComplete { _ in }
                self.finish(.success(()))
            case .failure(let error):
                self.finish(.failure(error))
            }
        }
    }

    private func finish(_ result: Result<Void, any Error>) {
        let waiting = self.state.withLock { state -> [Completion] in
            defer { state = .idle }
            guard case .checking(let waiting) = state else { return [] }
            return waiting
        }
        for completion in waiting { completion(result) }
    }
}
