import Foundation
import Logging
import NIOCore
import SQLKit
import Synchronization

/// Fails the statements whose SQL starts with a chosen prefix, as a connection lost at that moment would:
/// for faults in the middle of a transaction.
final class StatementFaults: Sendable {
    private let prefix = Mutex<String?>(nil)

    /// Statements starting with `prefix` (e.g. `INSERT INTO "refresh_tokens"`) fail from now on.
    func fail(statementsStartingWith prefix: String) { self.prefix.withLock { $0 = prefix } }

    /// Every statement runs again.
    func clear() { self.prefix.withLock { $0 = nil } }

    func shouldFail(_ sql: String) -> Bool {
        guard let prefix = self.prefix.withLock({ $0 }) else { return false }
        return sql.hasPrefix(prefix)
    }

    static var error: IOError { IOError(errnoCode: ECONNRESET, reason: "injected fault") }
}

/// An `SQLDatabase` that forwards to another unless ``StatementFaults`` picks the statement.
struct StatementFaultDatabase: SQLDatabase {
    let base: any SQLDatabase
    let faults: StatementFaults

    var logger: Logger { self.base.logger }
    var eventLoop: any EventLoop { self.base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { self.base.version }
    var dialect: any SQLDialect { self.base.dialect }
    var queryLogLevel: Logger.Level? { self.base.queryLogLevel }

    func execute(
        sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void
    )
        -> EventLoopFuture<Void>
    {
        if self.faults.shouldFail(self.serialize(query).sql) {
            return self.eventLoop.makeFailedFuture(StatementFaults.error)
        }
        return self.base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        if self.faults.shouldFail(self.serialize(query).sql) { throw StatementFaults.error }
        try await self.base.execute(sql: query, onRow)
    }

    func withSession<Result>(
        _ closure: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws
        -> Result
    {
        let faults = self.faults
        return try await self.base.withSession { session in
            try await closure(StatementFaultDatabase(base: session, faults: faults))
        }
    }
}
