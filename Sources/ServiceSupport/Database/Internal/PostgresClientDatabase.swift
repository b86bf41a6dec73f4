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
/// - a lease that is slow while the pool has room asks ``PostgresReachability``: if the server
///   refuses or drops a connection, the request fails UNAVAILABLE at once instead of at the timeout;
/// - while connecting fails, a ``ConnectGate`` fails requests at once (``DatabaseRefusingError``)
///   and lets one through per retry interval, which waits at most that interval; the first lease
///   that succeeds opens it again;
/// - if that probe finds the server reachable while the pool still has no connection (its
///   reconnect backoff grows to a minute), the client is replaced with a fresh one
///   (``PostgresClientSupervisor``), so the service is back within seconds of the database;
/// - a statement never outlives its connection (``StatementWatch``): when the connection closes
///   under it, or its caller gives up (a deadline), the caller fails UNAVAILABLE at once and the
///   lease goes back, instead of staying taken by a statement postgres-nio will never answer.
///
/// The clients must be running (``ServiceDatabase/run()`` under the process's `ServiceGroup`):
/// they connect, keep idle connections alive and retire them.
final class PostgresClientDatabase: SQLDatabase, Sendable {
    let clients: PostgresClientSupervisor
    let reachability: PostgresReachability
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let acquireTimeout: Duration
    let maxConnections: Int
    let gate: ConnectGate
    /// Where leases are taken (and the clients run): off the cooperative pool.
    let executor: EventLoopExecutor
    let queryLogLevel: Logger.Level? = .trace
    /// Connections leased now: a timeout with all of them out means a busy pool, not a lost database.
    private let leased = Atomic(0)

    init(
        clients: PostgresClientSupervisor, reachability: PostgresReachability, logger: Logger,
        eventLoopGroup: any EventLoopGroup, acquireTimeout: Duration, maxConnections: Int, gate: ConnectGate,
        executor: EventLoopExecutor
    ) {
        self.executor = executor
        self.clients = clients
        self.reachability = reachability
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

    private func withConnection<Result>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let timeout: Duration
        switch self.gate.admission() {
        case .open: timeout = self.acquireTimeout
        case .probe: timeout = min(self.acquireTimeout, self.gate.retryInterval)
        case .refused: throw DatabaseRefusingError()
        }
        let handoff = ConnectionHandoff<PostgresConnection>()
        let client = self.clients.client
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask(executorPreference: self.executor) {
                do {
                    try await client.withConnection { connection in await handoff.lend(connection) }
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
                // The pool may hand out a connection whose close it has not processed yet.
                guard !connection.isClosed else {
                    throw DatabaseError(code: .unavailable, cause: StatementWatch.ConnectionClosed())
                }
                return try await StatementWatch.run(
                    on: connection, executor: self.executor, checkEvery: Self.closedConnectionCheckInterval
                ) { try await body(connection) }
            } catch {
                if Self.isConnectionLoss(error) { self.gate.connectionLost() }
                throw error
            }
        }
    }

    /// Waits for the lease at most `timeout` (asking ``reachability`` halfway, at most 250 ms in),
    /// and tells the gate how it went.
    private func receive(
        _ handoff: ConnectionHandoff<PostgresConnection>, timeout: Duration
    ) async throws -> PostgresConnection {
        let timer = self.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            handoff.giveUp(with: DatabaseTimeoutError(timeout: timeout))
        }
        let check = self.eventLoop.scheduleTask(in: TimeAmount(min(timeout / 2, .milliseconds(250)))) {
            self.checkReachability(for: handoff)
        }
        do {
            let connection = try await handoff.receive()
            timer.cancel()
            check.cancel()
            self.gate.succeeded()
            return connection
        } catch {
            timer.cancel()
            check.cancel()
            // A caller that gave up (cancellation) says nothing about the database, nor does a
            // timeout while every connection is leased (a busy pool). Anything else: connecting fails.
            guard !Task.isCancelled && !(error is DatabaseTimeoutError && self.isBusy) else { throw error }
            self.gate.failed()
            // The pool refused at once (its circuit breaker opens after 15 s without a connection):
            // the check above never ran, so ask now whether a fresh client would do better.
            if !(error is DatabaseTimeoutError) { self.checkReachability(for: nil) }
            throw error
        }
    }

    /// A lease is slow (or refused) while the pool has room: is the server there at all?
    private func checkReachability(for handoff: ConnectionHandoff<PostgresConnection>?) {
        guard !self.isBusy else { return }
        self.reachability.check { result in
            switch result {
            case .failure(let error):
                handoff?.giveUp(with: DatabaseError(code: .unavailable, cause: error))
            case .success:
                // The server answers, yet the pool has had no connection since connecting failed:
                // it is waiting out its backoff. A fresh client connects on the next request.
                if self.gate.isFailing && !self.isBusy {
                    self.clients.replace(ifOlderThan: Self.clientReplacementInterval)
                }
            }
        }
    }

    /// A client is replaced at most this often.
    static let clientReplacementInterval: Duration = .seconds(1)

    private var isBusy: Bool { self.leased.load(ordering: .relaxed) >= self.maxConnections }

    /// How often a running statement's connection is checked for having closed under it.
    static let closedConnectionCheckInterval: Duration = .milliseconds(250)

    /// Whether a statement failed because its connection went away (rather than the statement itself).
    private static func isConnectionLoss(_ error: any Error) -> Bool {
        switch error {
        case let error as DatabaseError:
            return error.cause is StatementWatch.ConnectionClosed
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
