package import Foundation
package import Logging
package import NIOCore
import NIOPosix
import RPC
package import Redis
import ServiceLifecycle
package import ServiceSupport
import Synchronization
import Upstream

/// The `halo-engagement` process: configuration in, serving until SIGTERM or SIGINT.
package enum EngagementServiceApp {
    /// The short name: environment prefix `HALO_ENGAGEMENT_`.
    package static let service = "engagement"
    /// The port `halo-engagement` listens on unless `HALO_ENGAGEMENT_PORT` says otherwise.
    package static let defaultPort = 50053

    /// The defaults `halo-engagement` starts from.
    package static var defaults: EngagementConfiguration {
        var service = ServiceConfiguration.defaults
        service.listen.port = Self.defaultPort
        return EngagementConfiguration(service: service)
    }

    /// One running service, wired: the Redis pool and subscriber, the video cluster, the hub and
    /// the runner. ``start()`` connects to the video replicas and listens; ``run()`` serves until
    /// SIGTERM or SIGINT (or ``shutDownGracefully()``), then closes Redis and the video cluster.
    package final class Instance: Sendable {
        package let runner: ServiceRunner
        package let hub: CountsHub
        package let pool: RedisPool
        private let videos: Cluster
        /// Whether ``start()`` ran (``run()`` starts what it did not).
        private let started = Mutex(false)
        /// The store's commands: pipelined on the calling event loop's own connection.
        package let redis: RedisLoopClient

        /// - Parameters:
        ///   - now: the clock (tests inject one to move presence forward).
        ///   - handleSignals: install SIGTERM/SIGINT handlers (executables); tests pass false.
        package init(
            configuration: EngagementConfiguration, logger: Logger,
            eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
            now: @escaping @Sendable () -> Date = { Date() }, handleSignals: Bool = true
        ) throws {
            let pool = RedisPool(
                configuration: try configuration.redisPool(), eventLoopGroup: eventLoopGroup, logger: logger)
            let subscriber = RedisSubscriber(
                configuration: try configuration.redisSubscriber(), eventLoopGroup: eventLoopGroup, logger: logger)
            let redis = RedisLoopClient(
                configuration: try configuration.redisPool(), eventLoopGroup: eventLoopGroup, logger: logger)
            let store = RedisEngagementStore(client: redis, presenceWindow: configuration.presenceWindow)
            let videoCluster = Cluster(
                configuration: configuration.videos.clusterConfiguration, group: eventLoopGroup, logger: logger)
            let videos = RemoteVideoDirectory(
                cluster: videoCluster, configuration: configuration.videos.directory, logger: logger)
            let hub = CountsHub(
                subscriber: subscriber, store: store, configuration: configuration.watch, logger: logger, now: now)
            let service = EngagementService(store: store, videos: videos, hub: hub, logger: logger, now: now)
            self.runner = ServiceRunner(
                configuration: configuration.service, probe: RedisProbe(pool: pool),
                probeInterval: configuration.redis.probeInterval, probeTimeout: configuration.redis.probeTimeout,
                services: [service], background: [hub], logger: logger, eventLoopGroup: eventLoopGroup,
                handleSignals: handleSignals)
            self.hub = hub
            self.pool = pool
            self.videos = videoCluster
            self.redis = redis
        }

        /// Resolves the video replicas and starts connecting to them, then binds the listener and
        /// returns its address (to learn a port picked with 0). A replica that is down does not stop
        /// the start: its calls answer UNAVAILABLE until it is back; a name that does not resolve does.
        @discardableResult
        package func start() async throws -> SocketAddress {
            self.started.withLock { $0 = true }
            try await self.videos.start()
            return try await self.runner.start()
        }

        /// Serves until shutdown, then closes the pool and the video client.
        package func run() async throws {
            do {
                if !self.started.withLock({ $0 }) { try await self.start() }
                try await self.runner.run()
            } catch {
                await self.close()
                throw error
            }
            await self.close()
        }

        /// Starts the graceful shutdown that a signal would.
        package func shutDownGracefully() async {
            await self.runner.shutDownGracefully()
        }

        private func close() async {
            await self.videos.shutDown()
            await self.pool.shutdown()
            await self.redis.shutdown()
        }
    }

    /// Serves until SIGTERM or SIGINT.
    package static func run(configuration: EngagementConfiguration, logger: Logger) async throws {
        try await Instance(configuration: configuration, logger: logger).run()
    }
}
