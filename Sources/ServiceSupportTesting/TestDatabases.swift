import Foundation
package import Logging
package import NIOCore
import NIOPosix
import SQLKit
package import ServiceSupport

/// A throwaway database for one test: a fresh SQLite file in a temporary directory, or a fresh
/// PostgreSQL database created on the server that `HALO_TEST_POSTGRES_URL` names.
package struct TestDatabase: Sendable {
    package var dialect: ServiceDatabase.Dialect
    /// What a ``ServiceConfiguration`` takes: nil (SQLite in ``dataDirectory``) or a PostgreSQL URL.
    package var url: String?
    /// A temporary directory, removed afterwards.
    package var dataDirectory: String

    package init(dialect: ServiceDatabase.Dialect, url: String?, dataDirectory: String) {
        self.dialect = dialect
        self.url = url
        self.dataDirectory = dataDirectory
    }

    /// Opens it with small pools and fast health probes, as tests want; its connections and timers
    /// run on `eventLoopGroup` (tests that measure timing pass loops of their own).
    package func open(
        service: String, logger: Logger, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ServiceDatabase {
        try await DatabaseFactory.open(
            url: self.url, dataDirectory: self.dataDirectory, service: service, configuration: Self.databaseSettings,
            logger: logger, eventLoopGroup: eventLoopGroup)
    }

    /// Opens it, runs it (``ServiceDatabase/withRunning(_:)``) while `body` uses it, and closes it
    /// whatever `body` does.
    package func withOpen<Result>(
        service: String, logger: Logger, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ body: (ServiceDatabase) async throws -> Result
    ) async throws -> Result {
        try await self.open(service: service, logger: logger, eventLoopGroup: eventLoopGroup).withRunning(body)
    }

    /// A service configuration on port 0 using this database, probing health every 100 ms.
    package var configuration: ServiceConfiguration {
        var configuration = ServiceConfiguration.defaults
        configuration.dataDirectory = self.dataDirectory
        configuration.databaseURL = self.url
        configuration.database = Self.databaseSettings
        configuration.shutdown.drainTimeout = .seconds(2)
        return configuration
    }

    /// Small pools and fast probes, as tests want.
    package static var databaseSettings: ServiceConfiguration.Database {
        var settings = ServiceConfiguration.Database()
        settings.maxConnections = 2
        // Generous for a small, busy machine running tests in parallel, yet below the calls' own
        // deadlines. Faults still show at once: a refused or closed connection fails without waiting.
        settings.connectTimeout = .seconds(5)
        settings.acquireTimeout = .seconds(5)
        settings.reconnectInterval = .milliseconds(100)
        settings.probeInterval = .milliseconds(100)
        settings.probeTimeout = .seconds(5)
        settings.startupTimeout = .seconds(5)
        return settings
    }
}

/// The environment lacks a server the tests need. Tests fail with it; they never skip.
package struct MissingTestServiceError: Error, CustomStringConvertible {
    package var variable: String

    package var description: String {
        "\(self.variable) is not set: run the tests through scripts/with-test-services (make test), which starts the server"
    }
}

package enum TestDatabases {
    /// The variable that names the test PostgreSQL server.
    package static let postgresVariable = "HALO_TEST_POSTGRES_URL"

    /// The test PostgreSQL URL, or ``MissingTestServiceError``.
    package static func postgresURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment[postgresVariable], !url.isEmpty else {
            throw MissingTestServiceError(variable: postgresVariable)
        }
        return url
    }

    /// Runs `body` with a fresh, empty database of `dialect`, and removes it afterwards.
    package static func withFresh<Result>(
        _ dialect: ServiceDatabase.Dialect, _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("halo-test-\(UUID().uuidString.lowercased())", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        switch dialect {
        case .sqlite:
            return try await body(TestDatabase(dialect: .sqlite, url: nil, dataDirectory: directory.path))
        case .postgres:
            let base = try self.postgresURL()
            let name = "halo_t_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
            try await self.administer(base) { try await $0.raw("CREATE DATABASE \(ident: name)").run() }
            do {
                let url = try self.replacingDatabase(in: base, with: name)
                let result = try await body(TestDatabase(dialect: .postgres, url: url, dataDirectory: directory.path))
                try? await self.administer(base) { try await $0.raw("DROP DATABASE \(ident: name) WITH (FORCE)").run() }
                return result
            } catch {
                try? await self.administer(base) { try await $0.raw("DROP DATABASE \(ident: name) WITH (FORCE)").run() }
                throw error
            }
        }
    }

    /// `url` with its path (the database name) replaced.
    package static func replacingDatabase(in url: String, with name: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw MissingTestServiceError(variable: url) }
        components.path = "/" + name
        return components.string!
    }

    /// `url` with its host and port replaced (to route it through a ``FaultProxy``).
    package static func replacingAddress(in url: String, host: String, port: Int) -> String {
        var components = URLComponents(string: url)!
        components.host = host
        components.port = port
        return components.string!
    }

    private static func administer(
        _ url: String, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Void
    )
        async throws
    {
        var logger = Logger(label: "halo.test.database")
        logger.logLevel = .critical
        var settings = TestDatabase.databaseSettings
        settings.maxConnections = 1
        try await DatabaseFactory.open(
            url: url, dataDirectory: FileManager.default.temporaryDirectory.path, service: "admin",
            configuration: settings, logger: logger
        ).withRunning { database in try await body(database.sql) }
    }
}
