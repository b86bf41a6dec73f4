import Foundation
package import Logging
package import NIOCore
package import SQLKit
import Synchronization

/// Turns a database's faults on and off from a test.
package final class FaultSwitch: Sendable {
    private let on = Mutex(false)

    package init() {}

    /// Every statement fails from now on, as an I/O error would.
    package func fail() { self.on.withLock { $0 = true } }

    /// Statements reach the database again.
    package func recover() { self.on.withLock { $0 = false } }

    var isFailing: Bool { self.on.withLock { $0 } }

    /// A check that throws ``error`` while the switch is on: the `readGate` of
    /// `ServiceDatabase.replacingSQL(_:readGate:)`, so reads that bypass `SQLDatabase` fail too.
    package var readGate: @Sendable () throws -> Void {
        { if self.isFailing { throw Self.error } }
    }

    /// What a failing statement throws: the `IOError` (EIO) a driver reports when its storage is gone.
    static var error: IOError { IOError(errnoCode: EIO, reason: "injected fault") }
}

/// An `SQLDatabase` that forwards to another unless its ``FaultSwitch`` is on, then fails every
/// statement and session with an I/O error. For SQLite, whose file cannot be taken away from
/// a test running as root; PostgreSQL tests use a ``FaultProxy`` instead.
package struct FaultInjectingDatabase: SQLDatabase {
    package let base: any SQLDatabase
    package let faults: FaultSwitch

    package init(base: any SQLDatabase, faults: FaultSwitch) {
        self.base = base
        self.faults = faults
    }

    package var logger: Logger { self.base.logger }
    package var eventLoop: any EventLoop { self.base.eventLoop }
    package var version: (any SQLDatabaseReportedVersion)? { self.base.version }
    package var dialect: any SQLDialect { self.base.dialect }
    package var queryLogLevel: Logger.Level? { self.base.queryLogLevel }

    package func execute(
        sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void
    )
        -> EventLoopFuture<Void>
    {
        if self.faults.isFailing { return self.eventLoop.makeFailedFuture(FaultSwitch.error) }
        return self.base.execute(sql: query, onRow)
    }

    package func execute(
        sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void
    )
        async throws
    {
        if self.faults.isFailing { throw FaultSwitch.error }
        try await self.base.execute(sql: query, onRow)
    }

    package func withSession<Result>(
        _ closure: @escaping @Sendable (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        if self.faults.isFailing { throw FaultSwitch.error }
        let faults = self.faults
        return try await self.base.withSession { session in
            try await closure(FaultInjectingDatabase(base: session, faults: faults))
        }
    }
}
