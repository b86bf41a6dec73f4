@preconcurrency import AsyncKit
import Logging
import NIOCore
import PostgresKit
import PostgresNIO

/// postgres-kit's connection source, as a `Sendable` value.
struct PostgresSource: ConnectionPoolSource, Sendable {
    let configuration: SQLPostgresConfiguration

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<PostgresConnection> {
        PostgresConnectionSource(sqlConfiguration: self.configuration).makeConnection(logger: logger, on: eventLoop)
    }
}
