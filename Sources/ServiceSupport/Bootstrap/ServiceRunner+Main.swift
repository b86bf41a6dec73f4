package import Logging
import ServiceLifecycle
import UnixSignals

extension ServiceRunner {
    /// Everything an executable's `main` does after parsing its configuration: open the database,
    /// apply migrations (waiting up to `database.startupTimeout` for an unreachable server), serve
    /// until SIGTERM or SIGINT, then close the database.
    ///
    /// One `ServiceGroup` holds the process: the database first (its pool runs before the first
    /// query and stops after the last), then the service, which migrates and then runs the
    /// runner's own group (server, health probe). On SIGTERM or SIGINT the service drains first,
    /// the database stops last.
    package static func runMain(
        service: String, configuration: ServiceConfiguration, migrations: [Migration], logger: Logger,
        makeServices: (ServiceDatabase) throws -> [any RPCService]
    ) async throws {
        let database = try await DatabaseFactory.open(configuration, service: service, logger: logger)
        do {
            let runner = ServiceRunner(
                configuration: configuration, database: database, services: try makeServices(database), logger: logger,
                handleSignals: false)
            let migrator = Migrator(database: database, service: service, migrations: migrations, logger: logger)
            let serving = MigratedRunner(
                migrator: migrator, startupTimeout: configuration.database.startupTimeout, runner: runner)
            var group = ServiceGroupConfiguration(
                services: [
                    .init(
                        service: database, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(
                        service: serving, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                logger: logger)
            group.gracefulShutdownSignals = [.sigterm, .sigint]
            try await ServiceGroup(configuration: group).run()
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }
}

/// Migrates, then serves with the runner until graceful shutdown (the runner's group follows the
/// enclosing group's shutdown). Shutdown while still migrating ends it without serving.
private struct MigratedRunner: Service, CustomStringConvertible {
    let migrator: Migrator
    let startupTimeout: Duration
    let runner: ServiceRunner

    var description: String { "migrate-and-serve" }

    func run() async throws {
        do {
            _ = try await cancelWhenGracefulShutdown {
                try await self.migrator.migrate(waitingUpTo: self.startupTimeout)
            }
        } catch  where Task.isShuttingDownGracefully {
            return
        }
        guard !Task.isShuttingDownGracefully else { return }
        try await self.runner.run()
    }
}
