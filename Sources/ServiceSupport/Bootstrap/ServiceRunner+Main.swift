package import Logging

extension ServiceRunner {
    /// Everything an executable's `main` does after parsing its configuration: open the database,
    /// apply migrations (waiting up to `database.startupTimeout` for an unreachable server), serve
    /// until SIGTERM or SIGINT, then close the database.
    package static func runMain(
        service: String, configuration: ServiceConfiguration, migrations: [Migration], logger: Logger,
        makeServices: (ServiceDatabase) throws -> [any RPCService]
    ) async throws {
        let database = try await DatabaseFactory.open(configuration, service: service, logger: logger)
        do {
            try await Migrator(database: database, service: service, migrations: migrations, logger: logger)
                .migrate(waitingUpTo: configuration.database.startupTimeout)
            let runner = ServiceRunner(
                configuration: configuration, database: database, services: try makeServices(database), logger: logger)
            try await runner.run()
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }
}
