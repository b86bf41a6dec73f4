@preconcurrency import AsyncKit
import Logging
import NIOCore
import SQLKit

/// An `SQLDatabase` that runs each statement on a connection leased from an AsyncKit pool, and
/// a whole session (a transaction) on one. While connecting fails, a ``ConnectGate`` fails
/// requests at once instead of letting each wait for its own doomed connection.
struct PooledSQLDatabase<Source: ConnectionPoolSource & Sendable>: SQLDatabase where Source.Connection: Sendable {
    let pool: EventLoopGroupConnectionPool<Source>
    let logger: Logger
    let dialect: any SQLDialect
    let queryLogLevel: Logger.Level?
    let gate: ConnectGate
    /// The connection as an `SQLDatabase`.
    let makeSQL: @Sendable (Source.Connection) -> any SQLDatabase

    var eventLoop: any EventLoop { self.pool.eventLoopGroup.any() }

    func execute(
        sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void
    )
        -> EventLoopFuture<Void>
    {
        guard self.gate.admit() else { return self.eventLoop.makeFailedFuture(DatabaseRefusingError()) }
        return self.pool.requestConnection(logger: self.logger)
            .always { self.record($0) }
            .flatMap { connection in
                self.makeSQL(connection).execute(sql: query, onRow)
                    .always { _ in self.pool.releaseConnection(connection, logger: self.logger) }
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
        guard self.gate.admit() else { throw DatabaseRefusingError() }
        let connection: Source.Connection
        do {
            connection = try await self.pool.requestConnection(logger: self.logger).get()
            self.gate.succeeded()
        } catch {
            self.record(.failure(error))
            throw error
        }
        defer { self.pool.releaseConnection(connection, logger: self.logger) }
        return try await body(connection)
    }

    /// Tells the gate how getting a connection went. Waiting too long for a busy pool is not a
    /// connection failure: only refused, lost or timed-out connects close the gate.
    private func record(_ result: Result<Source.Connection, any Error>) {
        switch result {
        case .success:
            self.gate.succeeded()
        case .failure(let error):
            if !(error is ConnectionPoolTimeoutError) && DatabaseErrors.isUnavailable(error) { self.gate.failed() }
        }
    }
}
