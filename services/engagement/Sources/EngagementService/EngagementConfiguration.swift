import Foundation
package import Redis
package import ServiceSupport

/// What `halo-engagement` needs: the common service settings plus Redis, the video service,
/// presence and watches. Only `main` reads the environment (``fromEnvironment(_:)``).
package struct EngagementConfiguration: Sendable {
    /// Redis: the only store. Every limit is short so that a Redis that is down or slow turns
    /// into UNAVAILABLE quickly instead of piling up calls.
    package struct RedisSettings: Sendable {
        /// `redis://[[user]:password@]host[:port][/database]`.
        package var url = "redis://127.0.0.1:6379"
        /// Pooled connections for commands (the subscriber has one more of its own).
        package var maxConnections = 16
        /// Longest TCP connect.
        package var connectTimeout: Duration = .milliseconds(500)
        /// Longest wait for any reply; on expiry the call fails UNAVAILABLE.
        package var commandTimeout: Duration = .seconds(1)
        /// Longest wait for a pooled connection.
        package var waitTimeout: Duration = .milliseconds(500)
        /// How often the health probe sends PING.
        package var probeInterval: Duration = .seconds(1)
        /// How long a PING may take before Redis counts as unreachable.
        package var probeTimeout: Duration = .milliseconds(500)

        package init() {}
    }

    package var service: ServiceConfiguration
    package var redis = RedisSettings()
    package var videos = Videos()
    /// How long a heartbeat keeps a viewer live.
    package var presenceWindow: Duration = .seconds(60)
    package var watch = CountsHub.Configuration.defaults

    package init(service: ServiceConfiguration) {
        self.service = service
    }

    /// The Redis pool's settings.
    package func redisPool() throws(RedisError) -> RedisPool.Configuration {
        RedisPool.Configuration(
            connection: try self.redisConnection(name: "halo-engagement"), maxConnections: self.redis.maxConnections,
            waitTimeout: self.redis.waitTimeout)
    }

    /// The subscriber's settings (no command timeout while it waits for messages; PING keeps it honest).
    package func redisSubscriber() throws(RedisError) -> RedisSubscriber.Configuration {
        RedisSubscriber.Configuration(
            connection: try self.redisConnection(name: "halo-engagement-events"), pingInterval: .seconds(5))
    }

    private func redisConnection(name: String) throws(RedisError) -> RedisConnection.Configuration {
        var connection = try RedisConnection.Configuration(url: self.redis.url)
        connection.clientName = name
        connection.connectTimeout = self.redis.connectTimeout
        connection.commandTimeout = self.redis.commandTimeout
        return connection
    }
}

extension EngagementConfiguration {
    /// Reads the environment over the defaults:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `HALO_ENGAGEMENT_HOST`, `HALO_ENGAGEMENT_PORT`, `HALO_LOG_LEVEL` | as for every service (``ServiceConfiguration``) |
    /// | `HALO_ENGAGEMENT_REDIS_URL` | `redis://…`; default `redis://127.0.0.1:6379` |
    /// | `HALO_ENGAGEMENT_VIDEO_*` | the video service cluster (``Videos/read(_:)``) |
    package static func fromEnvironment(
        _ defaults: Self, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> Self {
        var configuration = defaults
        configuration.service = try ServiceConfiguration.fromEnvironment(
            service: EngagementServiceApp.service, defaults: defaults.service, environment: environment)
        if let url = environment["HALO_ENGAGEMENT_REDIS_URL"], !url.isEmpty {
            do {
                _ = try RedisConnection.Configuration(url: url)
            } catch {
                throw ConfigurationError(key: "HALO_ENGAGEMENT_REDIS_URL", message: error.message)
            }
            configuration.redis.url = url
        }
        try configuration.videos.read(environment)
        return configuration
    }
}
