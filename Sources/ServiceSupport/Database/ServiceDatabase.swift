import Logging
package import SQLKit
import ServiceLifecycle

/// A service's open database: an `SQLDatabase` over a bounded pool, whichever the dialect.
///
/// It is a lifecycle `Service`: its pool does background work (PostgreSQL: connecting,
/// reconnecting, keep-alive, retiring idle connections) for as long as ``run()`` runs, so run it
/// under the process's `ServiceGroup` before the first query and stop it after the last
/// (``ServiceRunner/runMain(service:configuration:migrations:logger:makeServices:)`` does), or use
/// ``withRunning(_:)``. Queries on PostgreSQL wait for a connection that never comes while it is not running.
package struct ServiceDatabase: Service {
    /// The two dialects Halo runs on.
    package enum Dialect: String, Sendable, Hashable, CaseIterable {
        case sqlite
        case postgres
    }

    /// Runs queries on pooled connections; each call may use a different connection
    /// (use ``transaction(_:)`` for statements that belong together).
    package let sql: any SQLDatabase
    package let dialect: Dialect
    /// SQLite only: reads on the calling event loop's own connection, statements kept prepared
    /// (``SQLiteReads``); nil on PostgreSQL. Writes always go through ``sql``.
    package let reads: SQLiteReads?
    private let background: @Sendable () async -> Void
    /// Where ``withRunning(_:)`` starts ``run()``: off the cooperative pool when the pool needs it.
    private let backgroundExecutor: EventLoopExecutor?
    private let close: @Sendable () async -> Void

    /// Wraps an open database; `run` is its pool's background work, returning on graceful shutdown
    /// or cancellation (by default it has none and just waits for either); `close` releases the
    /// database and is called at most once by ``shutdown()``.
    package init(
        sql: any SQLDatabase, dialect: Dialect,
        run: @escaping @Sendable () async -> Void = { try? await gracefulShutdown() },
        runOn executor: EventLoopExecutor? = nil, reads: SQLiteReads? = nil,
        close: @escaping @Sendable () async -> Void
    ) {
        self.sql = sql
        self.dialect = dialect
        self.reads = reads
        self.background = run
        self.backgroundExecutor = executor
        let once = Once()
        self.close = { if once.claim() { await close() } }
    }

    /// Runs the pool's background work until graceful shutdown or cancellation. Call it once.
    package func run() async {
        await self.background()
    }

    /// Runs the database (``run()``) while `body` uses it, then stops it and closes it
    /// (``shutdown()``), whatever `body` does: for tools and tests that have no `ServiceGroup`.
    package func withRunning<Result>(_ body: (ServiceDatabase) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask(executorPreference: self.backgroundExecutor) { await self.run() }
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await body(self))
            } catch {
                result = .failure(error)
            }
            group.cancelAll()
            try? await group.waitForAll()
            await self.shutdown()
            return try result.get()
        }
    }

    /// The same database seen through another `SQLDatabase` (a wrapper for logging or fault injection).
    /// ``reads`` do not go through `sql`: pass `readGate` to run a check (a fault) before each of them.
    package func replacingSQL(_ sql: any SQLDatabase, readGate: (@Sendable () throws -> Void)? = nil) -> ServiceDatabase
    {
        ServiceDatabase(sharing: self, sql: sql, reads: readGate.flatMap { self.reads?.gated(by: $0) } ?? self.reads)
    }

    /// Closes every pooled connection. Later queries fail; calling it again does nothing.
    package func shutdown() async {
        await self.close()
    }

    /// Runs `body` on one connection inside a transaction: committed when it returns, rolled back
    /// when it throws. On SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so two writers queue instead of failing on lock upgrade.
    package func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        let begin = self.dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await self.sql.withSession { session in
            try await session.raw(SQLQueryString(begin)).run()
            let result: Result
            do {
                result = try await body(session)
            } catch {
                try? await session.raw("ROLLBACK").run()
                throw error
            }
            do {
                try await session.raw("COMMIT").run()
            } catch {
                try? await session.raw("ROLLBACK").run()
                throw error
            }
            return result
        }
    }

    /// Runs `SELECT 1`; throws if the database does not answer within `timeout`
    /// (``DatabaseTimeoutError``, which counts as unavailable).
    package func ping(timeout: Duration) async throws {
        let sql = self.sql
        try await withTimeout(timeout, throwing: { DatabaseTimeoutError(timeout: $0) }) {
            _ = try await sql.raw("SELECT 1").all()
        }
    }
}

extension ServiceDatabase {
    /// Another view of the same pool: shutting either down closes it once; run only one of them.
    private init(sharing other: ServiceDatabase, sql: any SQLDatabase, reads: SQLiteReads?) {
        self.sql = sql
        self.dialect = other.dialect
        self.reads = reads
        self.background = other.background
        self.backgroundExecutor = other.backgroundExecutor
        self.close = other.close
    }
}
