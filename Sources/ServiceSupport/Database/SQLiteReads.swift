package import Logging
package import NIOCore
import NIOPosix

/// Reads on SQLite without a thread-pool round trip: one connection per event loop, used only on
/// that loop's thread, with every statement prepared once per connection and kept.
///
/// Why a read may run on the loop: in WAL mode a reader never waits for a writer (it reads the
/// last committed snapshot), so a point read or one indexed page costs microseconds of CPU and no
/// lock wait. Each statement runs in its own implicit read transaction, ended (`sqlite3_reset`)
/// before ``query(_:_:_:)`` returns: a read sees every write committed before it began and never
/// holds back a checkpoint. The connections are `query_only`; writes keep going through the pooled
/// connections (``ServiceDatabase/sql``, on a thread pool, in transactions, with a busy timeout),
/// so their guarantees are unchanged. Both use the same SQLite library, which the POSIX file locks
/// of one process need.
///
/// A call made on one of the group's event loops (a service handler pinned to its loop) runs there
/// at once; any other caller hops to a loop of the group and back.
package final class SQLiteReads: Sendable {
    private let connections: [ObjectIdentifier: SQLiteReadConnection]
    private let eventLoopGroup: any EventLoopGroup
    /// Runs before every read (fault injection in tests); nil in production.
    private let gate: (@Sendable () throws -> Void)?

    /// Reads on the database file at `path` (which must exist, in WAL mode: migrate first), one
    /// connection per loop of `eventLoopGroup`, opened on first use. A read waits at most
    /// `busyTimeout` for a lock (only WAL recovery takes one readers wait for).
    package init(path: String, busyTimeout: Duration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        var connections: [ObjectIdentifier: SQLiteReadConnection] = [:]
        for loop in eventLoopGroup.makeIterator() {
            connections[ObjectIdentifier(loop)] = SQLiteReadConnection(
                path: path, busyTimeout: busyTimeout, eventLoop: loop, logger: logger)
        }
        self.connections = connections
        self.eventLoopGroup = eventLoopGroup
        self.gate = nil
    }

    private init(sharing other: SQLiteReads, gate: @escaping @Sendable () throws -> Void) {
        self.connections = other.connections
        self.eventLoopGroup = other.eventLoopGroup
        self.gate = gate
    }

    /// The same connections, with `gate` run before every read: it may throw, as a failing database would.
    package func gated(by gate: @escaping @Sendable () throws -> Void) -> SQLiteReads {
        SQLiteReads(sharing: self, gate: gate)
    }

    /// Runs `query` with `binds` and decodes each row with `decode`; throws a ``DatabaseError``.
    package func query<Value: Sendable>(
        _ query: Query, _ binds: [Bind], _ decode: @escaping @Sendable (Row) throws -> Value
    ) async throws -> [Value] {
        try self.gate?()
        if let loop = MultiThreadedEventLoopGroup.currentEventLoop,
            let connection = self.connections[ObjectIdentifier(loop)]
        {
            return try connection.run(query, binds, decode)
        }
        let loop = self.eventLoopGroup.next()
        guard let connection = self.connections[ObjectIdentifier(loop)] else {
            throw DatabaseError(
                code: .other, cause: SQLiteReadError(status: 0, message: "no connection for this event loop"))
        }
        return try await loop.submit { try connection.run(query, binds, decode) }.get()
    }

    /// Runs `query` and decodes its first row, if any.
    package func first<Value: Sendable>(
        _ query: Query, _ binds: [Bind], _ decode: @escaping @Sendable (Row) throws -> Value
    ) async throws -> Value? {
        try await self.query(query, binds, decode).first
    }

    /// Closes every connection (on its loop); later reads reopen them.
    package func close() async {
        for connection in self.connections.values {
            try? await connection.eventLoop.submit { connection.close() }.get()
        }
    }
}

/// A failed SQLite call on a read connection: the primary result code and SQLite's message.
package struct SQLiteReadError: Error, Sendable, CustomStringConvertible {
    package var status: Int32
    package var message: String

    package var description: String { "SQLite error \(self.status): \(self.message)" }

    /// As a ``DatabaseError``: busy, locked, out of memory, read-only, interrupted, I/O, full,
    /// cannot open and permission are unavailable (retryable); anything else is a bug.
    var classified: DatabaseError {
        // SQLITE_PERM 3, BUSY 5, LOCKED 6, NOMEM 7, READONLY 8, INTERRUPT 9, IOERR 10, FULL 13, CANTOPEN 14.
        let unavailable: Set<Int32> = [3, 5, 6, 7, 8, 9, 10, 13, 14]
        return DatabaseError(code: unavailable.contains(self.status & 0xFF) ? .unavailable : .other, cause: self)
    }
}
