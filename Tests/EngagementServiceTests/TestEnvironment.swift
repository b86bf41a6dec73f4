import Foundation
import Logging
import NIOCore
import NIOPosix
import Redis
import Synchronization

/// What every engagement test needs: the shared Redis from `HALO_TEST_REDIS_URL`, a quiet
/// logger, a clock the test moves, and polling.
enum TestEnvironment {
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// The shared test Redis; throws (failing the test, never skipping it) when the variable is unset.
    static func redisURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["HALO_TEST_REDIS_URL"], !url.isEmpty else {
            throw SetupError(
                description: """
                    HALO_TEST_REDIS_URL is not set. The engagement tests need a real redis-server: run them as \
                    `scripts/with-test-services swift test --filter EngagementServiceTests`.
                    """)
        }
        return url
    }

    /// A connection to the shared Redis, for looking at what the service stored.
    static func redis() async throws -> RedisConnection {
        var configuration = try RedisConnection.Configuration(url: try redisURL())
        configuration.commandTimeout = .seconds(10)
        configuration.connectTimeout = .seconds(5)
        return try await RedisConnection.connect(
            configuration: configuration, on: MultiThreadedEventLoopGroup.singleton.next(), logger: .quiet)
    }

    /// Retries `body` until it succeeds or `timeout` passes.
    static func eventually<T>(timeout: Duration = .seconds(20), _ body: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try await body()
            } catch {
                if ContinuousClock.now > deadline { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Waits until `condition` holds; throws when it still does not after `timeout`.
    static func waitUntil(
        _ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
    ) async throws {
        try await self.eventually(timeout: timeout) {
            guard (try? await condition()) == true else { throw SetupError(description: "timed out waiting: \(what)") }
        }
    }
}

/// A clock the test sets and moves.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) {
        self.current = Mutex(start)
    }

    func now() -> Date { self.current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        self.current.withLock { $0 += seconds }
    }
}

extension Logger {
    /// Warnings and worse, to stderr: what a failing test wants to see, no more.
    static var quiet: Logger {
        var logger = Logger(label: "halo.test.engagement")
        logger.logLevel =
            ProcessInfo.processInfo.environment["HALO_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        return logger
    }
}
