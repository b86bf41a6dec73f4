@preconcurrency import AsyncKit
import Logging
import NIOCore
import SQLKit

/// An `SQLDatabase` that runs each statement on a connection leased from an AsyncKit pool, and
/// a whole session (a transaction) on one.
struct PooledSQLDatabase<Source: ConnectionPoolSource>: SQLDatabase where Source.Connection: Sendable {
    let pool: EventLoopGroupConnectionPool<Source>
    let logger: Logger
    let dialect: any SQLDialect
    let queryLogLevel: Logger.Level?
    /// The connection as an `SQLDatabase`.
    let makeSQL: @Sendable (Source.Connection) -> any SQLDatabase

    var eventLoop: any EventLoop { self.pool.eventLoopGroup.any() }

    func execute(
        sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void
    )
        -> EventLoopFuture<Void>
    {
        self.pool.withConnection(logger: self.logger) { connection in
            self.makeSQL(connection).execute(sql: query, onRow)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await self.withConnection { connection in
            try await self.makeSQL(connection).execute(sql: query, onRow)
        }
    }

    func withSession<Result>(
        _ closure: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws
        -> Result
    {
        try await self.withConnection { connection in try await closure(self.makeSQL(connection)) }
    }

    private func withConnection<Result>(_ body: (Source.Connection) async throws -> Result) async throws -> Result {
        let connection = try await self.pool.requestConnection(logger: self.logger).get()
        defer { self.pool.releaseConnection(connection, logger: self.logger) }
        return try await body(connection)
    }
}
