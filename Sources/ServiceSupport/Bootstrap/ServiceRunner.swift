import HTTP2
import HealthProtos
package import Logging
package import NIOCore
import NIOPosix
package import RPC
package import ServiceLifecycle
import UnixSignals

/// Runs a service process: the gRPC server with the given services and `grpc.health.v1.Health`,
/// a probe of the service's store (its database, or any ``HealthProbe``) that drives health, and
/// graceful shutdown on SIGTERM or SIGINT (swift-service-lifecycle's `ServiceGroup`; postgres-nio
/// already depends on it, so it costs no build time).
///
/// Health starts SERVING (the caller has migrated, so the database answered); the probe flips
/// the services and the server ("") to NOT_SERVING while the store is unreachable. On
/// shutdown the probe stops first, then health goes NOT_SERVING and the server drains.
///
/// The runner does not own the database or the probed store: close it after ``run()`` returns.
package final class ServiceRunner: Sendable {
    /// The health service, for tests and for services that report more than the database.
    package let health: HealthService
    private let server: Server
    private let group: ServiceGroup

    /// - Parameters:
    ///   - services: the gRPC services to serve; each is reported SERVING while the database answers.
    ///   - background: other long-lived work of the process (key rotation, cleanup); started with
    ///     the server and shut down gracefully before it.
    ///   - handleSignals: install SIGTERM/SIGINT handlers (executables); tests pass false.
    package convenience init(
        configuration: ServiceConfiguration, database: ServiceDatabase, services: [any RPCService],
        background: [any Service] = [], logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, handleSignals: Bool = true
    ) {
        self.init(
            configuration: configuration, probe: database, probeInterval: configuration.database.probeInterval,
            probeTimeout: configuration.database.probeTimeout, services: services, background: background,
            logger: logger, eventLoopGroup: eventLoopGroup, handleSignals: handleSignals)
    }

    /// A runner whose health follows `probe` rather than a SQL database (a Redis-backed service).
    ///
    /// - Parameters:
    ///   - probe: checked every `probeInterval`; a check slower than `probeTimeout` counts as failed.
    ///   - services, background, handleSignals: as for the database runner.
    package init(
        configuration: ServiceConfiguration, probe: any HealthProbe, probeInterval: Duration,
        probeTimeout: Duration, services: [any RPCService], background: [any Service] = [], logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, handleSignals: Bool = true
    ) {
        let health = HealthService()
        var router = Router()
        for service in services {
            service.register(in: &router)
            health.setStatus(.serving, for: service.serviceName)
        }
        health.register(in: &router)

        var serverConfiguration = Server.Configuration.defaults
        serverConfiguration.host = configuration.listen.host
        serverConfiguration.port = configuration.listen.port
        serverConfiguration.http2.drainTimeout = configuration.shutdown.drainTimeout
        let server = Server(configuration: serverConfiguration, router: router, group: eventLoopGroup, logger: logger)

        let probeService = HealthProbeService(
            probe: probe, health: health, services: services.map(\.serviceName), interval: probeInterval,
            timeout: probeTimeout, logger: logger)
        // Shut down in reverse order: background work and the probe first (the probe must not report
        // SERVING while draining), then the server.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(
                    service: ServerService(server: server, health: health),
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(
                    service: probeService, successTerminationBehavior: .ignore,
                    failureTerminationBehavior: .gracefullyShutdownGroup),
            ]
                + background.map {
                    .init(
                        service: $0, successTerminationBehavior: .ignore,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                },
            logger: logger)
        if handleSignals { groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint] }

        self.health = health
        self.server = server
        self.group = ServiceGroup(configuration: groupConfiguration)
    }

    /// Binds the listener now and returns its address (to learn a port picked with 0).
    /// ``run()`` binds by itself when this was not called.
    @discardableResult
    package func start() async throws -> SocketAddress {
        try await self.server.start()
    }

    /// Serves until SIGTERM or SIGINT (when handled), ``shutDownGracefully()``, or cancellation.
    package func run() async throws {
        try await self.group.run()
    }

    /// Starts the graceful shutdown that a signal would.
    package func shutDownGracefully() async {
        await self.group.triggerGracefulShutdown()
    }
}
