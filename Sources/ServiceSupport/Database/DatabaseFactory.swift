@preconcurrency import AsyncKit
import Foundation
package import Logging
package import NIOCore
import NIOPosix
import PostgresNIO
import SQLKit
import SQLiteKit
import SQLiteNIO
import ServiceLifecycle

/// Opens a service's database from its URL: SQLite (sqlite-kit over AsyncKit's pool) or PostgreSQL
/// (postgres-nio's `PostgresClient`, with postgres-kit's SQL dialect), both behind the same
/// `SQLDatabase` and a bounded pool. Connections open lazily, so opening succeeds while the server
/// is down; the first query (or ``ServiceDatabase/ping(timeout:)``) tells. The database must be
/// running (``ServiceDatabase/run()``) while it is used.
package enum DatabaseFactory {
    /// Opens the database at `url` (see ``DatabaseLocation``); nil is SQLite at `<dataDirectory>/<service>.sqlite`.
    package static func open(
        url: String?, dataDirectory: String, service: String,
        configuration: ServiceConfiguration.Database = .init(), logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ServiceDatabase {
        switch try DatabaseLocation(url: url, dataDirectory: dataDirectory, service: service) {
        case .sqlite(let path):
            return try await self.openSQLite(
                path: path, configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup)
        case .postgres(let url):
            return try self.openPostgres(
                url: url, configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup)
        }
    }

    /// Opens the database a service configuration names.
    package static func open(
        _ configuration: ServiceConfiguration, service: String, logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ServiceDatabase {
        try await self.open(
            url: configuration.databaseURL, dataDirectory: configuration.dataDirectory, service: service,
            configuration: configuration.database, logger: logger, eventLoopGroup: eventLoopGroup)
    }

    private static func openSQLite(
        path: String, configuration: ServiceConfiguration.Database, logger: Logger,
        eventLoopGroup: any EventLoopGroup
    ) async throws -> ServiceDatabase {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let perLoop = Self.connectionsPerLoop(configuration.maxConnections, eventLoopGroup)
        // One thread per connection: a connection waiting out another writer's lock (busy timeout)
        // then never holds up the one that has it.
        let threadPool = NIOThreadPool(numberOfThreads: perLoop * Self.loopCount(eventLoopGroup))
        threadPool.start()
        let pool = EventLoopGroupConnectionPool(
            source: SQLiteSource(path: path, busyTimeout: configuration.busyTimeout, threadPool: threadPool),
            maxConnectionsPerEventLoop: perLoop, requestTimeout: TimeAmount(configuration.acquireTimeout),
            logger: logger, on: eventLoopGroup)
        let sql = PooledSQLDatabase(
            pool: pool, logger: logger, dialect: SQLiteDialect(), queryLogLevel: .trace,
            gate: ConnectGate(retryInterval: configuration.reconnectInterval),
            makeSQL: { $0.sql(queryLogLevel: .trace) })
        let reads = SQLiteReads(
            path: path, busyTimeout: min(configuration.busyTimeout, .milliseconds(100)), eventLoopGroup: eventLoopGroup,
            logger: logger)
        logger.info("database opened", metadata: ["dialect": "sqlite", "path": "\(path)"])
        return ServiceDatabase(sql: sql, dialect: .sqlite, reads: reads) {
            await reads.close()
            try? await pool.shutdownAsync()
            try? await threadPool.shutdownGracefully()
        }
    }

    private static func openPostgres(
        url: String, configuration: ServiceConfiguration.Database, logger: Logger,
        eventLoopGroup: any EventLoopGroup
    ) throws -> ServiceDatabase {
        let location = try PostgresURL(url)
        var postgres = location.clientConfiguration
        let maxConnections = max(1, configuration.maxConnections)
        postgres.options.connectTimeout = configuration.connectTimeout
        postgres.options.maximumConnections = maxConnections
        postgres.options.connectionIdleTimeout = .seconds(300)
        let executor = EventLoopExecutor(eventLoop: eventLoopGroup.any())
        let clients = PostgresClientSupervisor(logger: logger) { [postgres] in
            PostgresClient(configuration: postgres, eventLoopGroup: eventLoopGroup, backgroundLogger: logger)
        }
        let reachability = PostgresReachability(
            url: location, connectTimeout: configuration.connectTimeout, eventLoopGroup: eventLoopGroup, logger: logger)
        let sql = PostgresClientDatabase(
            clients: clients, reachability: reachability, logger: logger, eventLoopGroup: eventLoopGroup,
            acquireTimeout: configuration.acquireTimeout, maxConnections: maxConnections,
            gate: ConnectGate(retryInterval: configuration.reconnectInterval), executor: executor)
        var metadata: Logger.Metadata = ["dialect": "postgres"]
        if let host = postgres.host { metadata["host"] = "\(host)" }
        logger.info("database opened", metadata: metadata)
        // The clients close their connections when their run ends (graceful shutdown or cancellation).
        let run: @Sendable () async -> Void = {
            await withTaskExecutorPreference(executor) {
                await cancelWhenGracefulShutdown { await clients.run() }
            }
        }
        return ServiceDatabase(sql: sql, dialect: .postgres, run: run, runOn: executor, close: {})
    }

    private static func loopCount(_ group: any EventLoopGroup) -> Int {
        var count = 0
        for _ in group.makeIterator() { count += 1 }
        return max(1, count)
    }

    /// AsyncKit (SQLite) pools per event loop; `total` is spread over the loops, at least one each.
    private static func connectionsPerLoop(_ total: Int, _ group: any EventLoopGroup) -> Int {
        let loops = self.loopCount(group)
        return max(1, (max(1, total) + loops - 1) / loops)
    }
}
