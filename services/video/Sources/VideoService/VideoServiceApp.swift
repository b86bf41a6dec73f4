package import Logging
package import ServiceSupport

/// The `halo-video` process: configuration in, serving until SIGTERM or SIGINT.
package enum VideoServiceApp {
    /// The short name: environment prefix `HALO_VIDEO_`, SQLite file `video.sqlite`.
    package static let service = "video"
    /// The port `halo-video` listens on unless `HALO_VIDEO_PORT` says otherwise.
    package static let defaultPort = 50052

    /// The defaults `halo-video` starts from.
    package static var defaults: ServiceConfiguration {
        var configuration = ServiceConfiguration.defaults
        configuration.listen.port = Self.defaultPort
        return configuration
    }

    /// Opens the database, migrates, serves until SIGTERM or SIGINT, then closes the database.
    package static func run(configuration: ServiceConfiguration, logger: Logger) async throws {
        try await ServiceRunner.runMain(
            service: Self.service, configuration: configuration, migrations: VideoMigrations.all, logger: logger
        ) { database in
            [VideoService(store: SQLVideoStore(database: database), logger: logger)]
        }
    }
}
