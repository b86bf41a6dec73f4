import Logging
package import SQLKit

/// A service's open database: an `SQLDatabase` over a bounded pool, whichever the dialect.
package struct ServiceDatabase: Sendable {
    /// The two dialects Halo runs on.
    package enum Dialect: String, Sendable, Hashable, CaseIterable {
        case sqlite
        case postgres
    }

    /// Runs queries on pooled connections; each call may use a different connection
    /// (use ``transaction(_:)`` for statements that belong together).
    package let sql: any SQLDatabase
    package let dialect: Dialect
    private let close: @Sendable () async -> Void

    /// Wraps an open database; `close` releases it and is called at most once by ``shutdown()``.
    package init(sql: any SQLDatabase, dialect: Dialect, close: @escaping @Sendable () async -> Void) {
        self.sql = sql
        self.dialect = dialect
        let once = Once()
        self.close = { if once.claim() { await close() } }
    }

    /// The same database seen through another `SQLDatabase` (a wrapper for logging or fault injection).
    package func replacingSQL(_ sql: any SQLDatabase) -> ServiceDatabase {
        ServiceDatabase(sharing: self, sql: sql)
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
    /// Another view of the same pool: shutting either down closes it once.
    private init(sharing other: ServiceDatabase, sql: any SQLDatabase) {
        self.sql = sql
        self.dialect = other.dialect
        self.close = other.close
    }
}
