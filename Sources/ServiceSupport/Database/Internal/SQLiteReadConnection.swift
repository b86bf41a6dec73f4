import CallerIdentity
import Foundation
import Logging
import NIOCore
import VaporCSQLite

/// One `sqlite3` handle of ``SQLiteReads`` and its prepared statements, used only on `eventLoop`'s
/// thread (so `SQLITE_OPEN_NOMUTEX` and no lock of ours). Opened on first use; a failure that may
/// have left it unusable (I/O, corruption, a lost file) closes it, and the next read reopens it.
final class SQLiteReadConnection: @unchecked Sendable {
    // @unchecked: every member below is touched only on `eventLoop` (checked by `run` and `close`).
    let eventLoop: any EventLoop
    private let path: String
    private let busyTimeoutMilliseconds: Int32
    private let logger: Logger
    private var handle: OpaquePointer?
    /// Prepared statements by ``SQLiteReads/Query`` id.
    private var statements: [Int: OpaquePointer] = [:]

    init(path: String, busyTimeout: Duration, eventLoop: any EventLoop, logger: Logger) {
        self.path = path
        let (seconds, attoseconds) = busyTimeout.components
        self.busyTimeoutMilliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        self.eventLoop = eventLoop
        self.logger = logger
    }

    deinit {
        // Every handle is closed on its loop by `close()`; a leftover one is closed here (no one else has it).
        for statement in self.statements.values { sqlite_nio_sqlite3_finalize(statement) }
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
    }

    /// Runs `query` with `binds`, decoding every row; throws a ``DatabaseError``.
    func run<Value>(
        _ query: SQLiteReads.Query, _ binds: [SQLiteReads.Bind], _ decode: (SQLiteReads.Row) throws -> Value
    ) throws -> [Value] {
        self.eventLoop.preconditionInEventLoop()
        let statement = try self.statement(for: query)
        // Ends the statement's read transaction whatever happens, so no snapshot outlives the call.
        defer { sqlite_nio_sqlite3_reset(statement) }
        for (index, bind) in binds.enumerated() {
            let status = Self.bind(bind, at: Int32(index + 1), to: statement)
            if status != SQLITE_OK { throw self.failure(status) }
        }
        var rows: [Value] = []
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_ROW {
                rows.append(try decode(SQLiteReads.Row(statement: statement)))
            } else if status == SQLITE_DONE {
                return rows
            } else {
                throw self.failure(status)
            }
        }
    }

    /// Finalizes the statements and closes the handle.
    func close() {
        self.eventLoop.preconditionInEventLoop()
        for statement in self.statements.values { sqlite_nio_sqlite3_finalize(statement) }
        self.statements.removeAll()
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        self.handle = nil
    }

    private func statement(for query: SQLiteReads.Query) throws -> OpaquePointer {
        if let statement = self.statements[query.id] { return statement }
        let handle = try self.open()
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(
            handle, query.sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw self.failure(status) }
        self.statements[query.id] = statement
        return statement
    }

    private func open() throws -> OpaquePointer {
        if let handle { return handle }
        var opened: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(
            self.path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard status == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite_nio_sqlite3_close_v2(opened)
            throw SQLiteReadError(status: status, message: message).classified
        }
        sqlite_nio_sqlite3_busy_timeout(opened, self.busyTimeoutMilliseconds)
        // A read connection never writes, whatever statement it is handed.
        let setup = sqlite_nio_sqlite3_exec(opened, "PRAGMA query_only = 1", nil, nil, nil)
        guard setup == SQLITE_OK else {
            let error = SQLiteReadError(status: setup, message: String(cString: sqlite_nio_sqlite3_errmsg(opened)))
            sqlite_nio_sqlite3_close_v2(opened)
            throw error.classified
        }
        self.handle = opened
        self.logger.debug("sqlite read connection opened", metadata: ["path": "\(self.path)"])
        return opened
    }

    /// The error for `status`; the connection is closed when it may no longer be usable.
    private func failure(_ status: Int32) -> DatabaseError {
        let message = self.handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "no connection"
        let error = SQLiteReadError(status: status, message: message)
        // I/O errors, corruption, a file that is no longer a database, or gone: start again next time.
        if [10, 11, 14, 26].contains(status & 0xFF) { self.close() }
        return error.classified
    }

    private static func bind(_ bind: SQLiteReads.Bind, at index: Int32, to statement: OpaquePointer) -> Int32 {
        switch bind {
        case .integer(let value):
            return sqlite_nio_sqlite3_bind_int64(statement, index, value)
        case .bool(let value):
            return sqlite_nio_sqlite3_bind_int64(statement, index, value ? 1 : 0)
        case .text(let value):
            var value = value
            return value.withUTF8 { text in
                // A null pointer would bind NULL: the empty string is bound from a literal.
                guard text.count > 0 else { return sqlite_nio_sqlite3_bind_text(statement, index, "", 0, transient) }
                return sqlite_nio_sqlite3_bind_text(
                    statement, index, UnsafeRawPointer(text.baseAddress)?.assumingMemoryBound(to: CChar.self),
                    Int32(text.count), transient)
            }
        case .uuid(let id):
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
                id.writeLowercased(into: text)
                return sqlite_nio_sqlite3_bind_text(
                    statement, index, UnsafeRawPointer(text.baseAddress!).assumingMemoryBound(to: CChar.self), 36,
                    transient)
            }
        }
    }
}

/// SQLite copies bound values at once (`SQLITE_TRANSIENT`), so the Swift buffers may go away after binding.
private var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }
