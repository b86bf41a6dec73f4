@preconcurrency import AsyncKit
import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import SQLiteNIO

/// Opens SQLite connections to one file, each set up for a service: WAL journal, foreign keys,
/// a busy timeout so concurrent writers queue, and `synchronous = NORMAL` (durable in WAL mode
/// up to the last checkpointed commit on power loss, never corrupt).
struct SQLiteSource: ConnectionPoolSource {
    let base: SQLiteConnectionSource
    let busyTimeout: Duration

    init(path: String, busyTimeout: Duration, threadPool: NIOThreadPool) {
        self.base = SQLiteConnectionSource(
            configuration: SQLiteConfiguration(storage: .file(path: path), enableForeignKeys: true),
            threadPool: threadPool)
        self.busyTimeout = busyTimeout
    }

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        let milliseconds =
            self.busyTimeout.components.seconds * 1000
            + self.busyTimeout.components.attoseconds / 1_000_000_000_000_000
        return self.base.makeConnection(logger: logger, on: eventLoop).flatMap { connection in
            connection.query("PRAGMA busy_timeout = \(milliseconds)")
                .flatMap { _ in connection.query("PRAGMA journal_mode = WAL") }
                .flatMap { _ in connection.query("PRAGMA synchronous = NORMAL") }
                .map { _ in connection }
                .flatMapError { error in connection.close().flatMapThrowing { throw error } }
        }
    }
}
