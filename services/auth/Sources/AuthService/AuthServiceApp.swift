package import Logging
package import ServiceSupport
import Tokens

/// The `halo-auth` process: configuration in, serving until SIGTERM or SIGINT.
package enum AuthServiceApp {
    /// The short name: environment prefix `HALO_AUTH_`, SQLite file `auth.sqlite`.
    package static let service = "auth"
    /// The port `halo-auth` listens on unless `HALO_AUTH_PORT` says otherwise.
    package static let defaultPort = 50051

    /// The defaults `halo-auth` starts from.
    package static var defaults: ServiceConfiguration {
        var configuration = ServiceConfiguration.defaults
        configuration.listen.port = Self.defaultPort
        return configuration
    }

    /// Loads (on first start: creates) the signing keys in the data directory, starts the hashing threads,
    /// opens the database, migrates, and serves until SIGTERM or SIGINT.
    package static func run(
        configuration: ServiceConfiguration, auth: AuthService.Configuration, passwords: PasswordHasher.Configuration,
        logger: Logger
    ) async throws {
        let keys = try SigningKeyFiles(directory: configuration.dataDirectory).loadOrCreate()
        logger.info(
            "signing keys loaded", metadata: ["kid": "\(keys.current.keyID)", "keys": "\(keys.all.count)"])
        let hasher = try PasswordHasher(configuration: passwords)
        do {
            try await ServiceRunner.runMain(
                service: Self.service, configuration: configuration, migrations: AuthMigrations.all, logger: logger
            ) { database in
                [
                    AuthService(
                        configuration: auth, store: SQLAuthStore(database: database), hasher: hasher, keys: keys,
                        logger: logger)
                ]
            }
        } catch {
            await hasher.shutdown()
            throw error
        }
        await hasher.shutdown()
    }

    /// Makes a new signing key in the data directory, keeping the old one as the previous key; running
    /// instances publish and use it once restarted. Returns a line for the operator.
    package static func rotateSigningKey(configuration: ServiceConfiguration) throws -> String {
        let keys = try SigningKeyFiles(directory: configuration.dataDirectory).rotate()
        return "signing key \(keys.current.keyID) is current; \(keys.previous.map(\.keyID).joined()) is previous"
    }
}
