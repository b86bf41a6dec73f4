package import Logging
package import NIOCore
import NIOPosix

/// Redis commands pipelined on one connection per event loop: a command sent from one of the
/// group's loops (a service handler pinned to the loop its request arrived on) goes out on that
/// loop's connection and its reply completes there: no lock, no thread hop, no lease.
///
/// Commands from many callers share the connection, in order (Redis answers in order), so this is
/// for commands that do not hold a connection: plain commands, pipelines, MULTI/EXEC written in one
/// go (``RedisClient/transaction(_:)``) and scripts. Blocking commands (BLPOP) and WATCH need a
/// connection of their own: ``RedisPool`` leases those.
///
/// Each connection opens on first use, reopens when lost, and backs off like the pool after a
/// failed connect (callers fail fast meanwhile). A command's timeout (the connection
/// configuration's `commandTimeout`) closes the connection, failing what was in flight on it, and
/// the next command reconnects.
package final class RedisLoopClient: RedisClient {
    /// Connection settings, backoff and the most callers that wait while a connection opens.
    package let configuration: RedisPool.Configuration
    private let slots: [ObjectIdentifier: RedisLoopSlot]
    private let eventLoopGroup: any EventLoopGroup

    /// A client; no connection opens until the first command on a loop.
    package init(configuration: RedisPool.Configuration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        var slots: [ObjectIdentifier: RedisLoopSlot] = [:]
        for loop in eventLoopGroup.makeIterator() {
            slots[ObjectIdentifier(loop)] = RedisLoopSlot(eventLoop: loop, configuration: configuration, logger: logger)
        }
        self.configuration = configuration
        self.slots = slots
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends one command on the calling loop's connection (any loop's, from elsewhere).
    package func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        self.slot().withConnection { $0.send(command) }
    }

    /// Sends one command with its own timeout (nil waits forever).
    package func send(_ command: RedisCommand, timeout: Duration?) -> EventLoopFuture<RESPValue> {
        self.slot().withConnection { $0.send(command, timeout: timeout) }
    }

    /// Sends one command with its own timeout (nil waits forever).
    package func send(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue {
        try await self.send(command, timeout: timeout).get()
    }

    /// Sends commands in one write; replies in order, error replies as `.error` values.
    package func pipeline(_ commands: [RedisCommand]) -> EventLoopFuture<[RESPValue]> {
        self.slot().withConnection { $0.pipeline(commands) }
    }

    /// Closes every connection; later commands fail with `poolClosed`.
    package func shutdown() async {
        for slot in self.slots.values { try? await slot.shutdown().get() }
    }

    /// The calling loop's slot, or the next loop's for callers off the group.
    private func slot() -> RedisLoopSlot {
        if let loop = MultiThreadedEventLoopGroup.currentEventLoop, let slot = self.slots[ObjectIdentifier(loop)] {
            return slot
        }
        // Every loop of the group has a slot.
        return self.slots[ObjectIdentifier(self.eventLoopGroup.next())]!
    }
}
