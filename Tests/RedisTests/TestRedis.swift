import Foundation
import Logging
import NIOCore
import NIOPosix
import Redis
import RedisTesting

/// The shared test server from `HALO_TEST_REDIS_URL`, and helpers for tests against it.
enum TestRedis {
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// The event loops every test uses.
    static var group: MultiThreadedEventLoopGroup { .singleton }

    /// One of the test event loops.
    static func loop() -> any EventLoop { group.next() }

    /// The server's configuration; throws (failing the test, never skipping it) when the variable is unset.
    static func configuration() throws -> RedisConnection.Configuration {
        guard let url = ProcessInfo.processInfo.environment["HALO_TEST_REDIS_URL"], !url.isEmpty else {
            throw SetupError(
                description: """
                    HALO_TEST_REDIS_URL is not set. The Redis tests need a real redis-server: \
                    run `scripts/test-redis start /tmp/halo-redis 6390`, then \
                    `HALO_TEST_REDIS_URL=redis://127.0.0.1:6390 swift test --filter RedisTests`, \
                    then `scripts/test-redis stop /tmp/halo-redis`.
                    """)
        }
        var configuration = try RedisConnection.Configuration(url: url)
        // Generous limits: the tests share two cores with other builds, and run under AddressSanitizer too.
        // Tests of the limits themselves set their own.
        configuration.connectTimeout = .seconds(5)
        configuration.commandTimeout = .seconds(10)
        return configuration
    }

    /// A fresh connection to the shared server.
    static func connect(commandTimeout: Duration? = .seconds(10)) async throws -> RedisConnection {
        var configuration = try configuration()
        configuration.commandTimeout = commandTimeout
        return try await RedisConnection.connect(configuration: configuration, on: loop(), logger: .quiet)
    }

    /// A key no other test (or earlier run) uses.
    static func key(_ name: String = #function) -> String {
        "halo-test:\(UUID().uuidString.prefix(8)):\(name)"
    }

    /// Retries `body` until it succeeds or `timeout` passes.
    static func eventually<T>(
        timeout: Duration = .seconds(20), _ body: () async throws -> T
    ) async throws -> T {
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
}

extension PrivateRedisServer {
    /// A configuration for this server, with the tests' generous limits.
    var configuration: RedisConnection.Configuration {
        RedisConnection.Configuration(
            host: "127.0.0.1", port: self.port, connectTimeout: .seconds(5), commandTimeout: .seconds(10))
    }
}
