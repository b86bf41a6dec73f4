package import Logging

/// What a service process needs to start: where it listens, where its data lives, how it talks
/// to its database, and how loud it logs.
///
/// Only an executable's `main` reads the environment (``fromEnvironment(service:defaults:environment:)``);
/// libraries and tests build this struct directly.
package struct ServiceConfiguration: Sendable {
    /// The gRPC listener.
    package struct Listen: Sendable, Hashable {
        /// Address to bind. Loopback by default: services trust identity metadata, so only the
        /// gateway should reach them.
        package var host: String = "127.0.0.1"
        /// Port to bind; 0 picks a free one (tests). Executables set their own default.
        package var port: Int = 0

        package init() {}
    }

    /// Connection pool and health probing of the service's database.
    package struct Database: Sendable, Hashable {
        /// Most connections open at once (PostgreSQL pool size; SQLite connections, each with its own thread).
        package var maxConnections: Int = 8
        /// How long opening one PostgreSQL connection may take.
        package var connectTimeout: Duration = .seconds(5)
        /// How long a query waits for a free pooled connection before it fails UNAVAILABLE.
        package var acquireTimeout: Duration = .seconds(5)
        /// While the database refuses connections, how often one request may try again; the
        /// others fail UNAVAILABLE at once instead of waiting for the acquire timeout.
        package var reconnectInterval: Duration = .milliseconds(500)
        /// How long SQLite waits for another writer's lock before it reports the database busy.
        package var busyTimeout: Duration = .seconds(5)
        /// How often the health probe runs `SELECT 1`.
        package var probeInterval: Duration = .seconds(2)
        /// How long one probe may take before the database counts as unreachable.
        package var probeTimeout: Duration = .seconds(2)
        /// How long start-up waits for an unreachable database (migrations) before giving up.
        package var startupTimeout: Duration = .seconds(60)

        package init() {}
    }

    /// Shutdown on SIGTERM or SIGINT.
    package struct Shutdown: Sendable, Hashable {
        /// How long calls in flight may take to finish after GOAWAY.
        package var drainTimeout: Duration = .seconds(10)

        package init() {}
    }

    package var listen = Listen()
    /// Where the service keeps its files (the SQLite database by default).
    package var dataDirectory: String = ".halo/data"
    /// nil: SQLite at `<dataDirectory>/<service>.sqlite`; `postgres://` or `postgresql://`: PostgreSQL;
    /// `sqlite://<path>`: SQLite at that path.
    package var databaseURL: String? = nil
    package var database = Database()
    package var shutdown = Shutdown()
    package var logLevel: Logger.Level = .info

    package init() {}

    package static var defaults: Self { Self() }
}
