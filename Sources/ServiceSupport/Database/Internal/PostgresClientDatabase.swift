import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// An `SQLDatabase` over postgres-nio's `PostgresClient` (its connection pool): each statement
/// runs on a leased connection, a session (a transaction) on one.
///
/// Promises, whatever the database does:
/// - waiting for a connection ends after `acquireTimeout` with ``DatabaseTimeoutError``
///   (unavailable), and a request given up on leaves the pool's queue;
/// - while connecting fails, a ``ConnectGate`` fails requests at once (``DatabaseRefusingError``)
///   and lets one through per retry interval, which waits at most that interval (the pool
///   reconnects on its own, with backoff), so an outage answers UNAVAILABLE at once instead of
///   each request waiting out the timeout; the first lease that succeeds opens it again;
/// - a statement whose task is cancelled (its caller's deadline passed) closes its connection,
///   so a statement on a connection that will never answer fails at once and the pool replaces
///   the connection, instead of the lease staying taken.
///
/// The client itself must be running (``ServiceDatabase/run()`` under the process's
/// `ServiceGroup`): it connects, keeps idle connections alive and retires them.
final class PostgresClientDatabase: SQLDatabase, Sendable {
    let client: PostgresClient
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let acquireTimeout: Duration
    let maxConnections: Int
    let gate: ConnectGate
    let queryLogLevel: Logger.Level? = .trace
    /// Connections leased now: a timeout with all of them out means a busy pool, not a lost database.
    private let leased = Atomic(0)

    init(
        client: PostgresClient, logger: Logger, eventLoopGroup: any EventLoopGroup, acquireTimeout: Duration,
        maxConnections: Int, gate: ConnectGate
    ) {
        self.client = client
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.acquireTimeout = acquireTimeout
        self.maxConnections = maxConnections
        self.gate = gate
    }

    var eventLoop: any EventLoop { self.eventLoopGroup.any() }
    var dialect: any SQLDialect { PostgresDialect() }

    func execute(
        sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void
    )
        -> EventLoopFuture<Void>
    {
        let promise = self.eventLoop.makePromise(of: Void.self)
        promise.completeWithTask { try await self.execute(sql: query, onRow) }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await self.withConnection { connection in
            try await connection.sql(queryLogLevel: self.queryLogLevel).execute(sql: query, onRow)
        }
    }

    func withSession<Result>(
        _ closure: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await self.withConnection { connection in
            try await closure(connection.sql(queryLogLevel: self.queryLogLevel))
        }
    }

    private func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let timeout: Duration
        switch self.gate.admission() {
        case .open: timeout = self.acquireTimeout
        case .probe: timeout = min(self.acquireTimeout, self.gate.retryInterval)
        case .refused: throw DatabaseRefusingError()
        }
        let handoff = ConnectionHandoff<PostgresConnection>()
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask {
                do {
                    try await self.client.withConnection { connection in await handoff.lend(connection) }
                } catch {
                    handoff.fail(DatabaseError(code: .unavailable, cause: error))
                }
            }
            let connection = try await self.receive(handoff, timeout: timeout)
            self.leased.add(1, ordering: .relaxed)
            defer {
                self.leased.subtract(1, ordering: .relaxed)
                handoff.giveBack()
            }
            do {
                return try await withTaskCancellationHandler {
                    try await body(connection)
                } onCancel: {
                    // The pool's close (not the polite one): the socket goes at once, with no
                    // goodbye to a server that may be gone.
                    let closeNow: () -> Void = connection.close
                    closeNow()
                }
            } catch {
                if Self.isConnectionLoss(error) { self.gate.connectionLost() }
                throw error
            }
        }
    }

    /// Waits for the lease at most `timeout`, and tells the gate how it went.
    private func receive(
        _ handoff: ConnectionHandoff<PostgresConnection>, timeout: Duration
    ) async throws -> PostgresConnection {
        let timer = self.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            handoff.giveUp(with: DatabaseTimeoutError(timeout: timeout))
        }
        do {
            let connection = try await handoff.receive()
            timer.cancel()
            self.gate.succeeded()
            return connection
        } catch {
            timer.cancel()
            // A timeout while every connection is leased is a busy pool; a caller that gave up
            // (cancellation) says nothing about the database. Anything else: connecting fails.
            let busy = error is DatabaseTimeoutError && self.leased.load(ordering: .relaxed) >= self.maxConnections
            if !busy && !Task.isCancelled { self.gate.failed() }
            throw error
        }
    }

    /// Whether a statement failed because its connection went away (rather than the statement itself).
    private static func isConnectionLoss(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown: return true
            default: return false
            }
        case is IOError, is ChannelError:
            return true
        default:
            return false
        }
    }
}
