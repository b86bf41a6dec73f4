package import Redis
import ServiceSupport

/// The health probe: PING on a pooled connection, bounded by the probe timeout (and by the
/// pool's wait timeout while no connection can be had).
package struct RedisProbe: HealthProbe {
    let pool: RedisPool

    package init(pool: RedisPool) {
        self.pool = pool
    }

    package var name: String { "redis" }

    package func check(timeout: Duration) async throws {
        let reply = try await self.pool.send(RedisCommand("PING"), timeout: timeout)
        guard reply.string == "PONG" else {
            throw RedisError(code: .protocolError, message: "unexpected PING reply: \(reply)")
        }
    }
}
