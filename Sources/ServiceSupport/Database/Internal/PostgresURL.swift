import Foundation
import PostgresNIO

/// A `postgres://` URL, read as postgres-kit reads it:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]` (also `postgresql`, `+tcp`), or
/// `postgres+uds://USER[:PASSWORD]@/SOCKET/PATH[?sslmode=MODE]#DATABASE` for a Unix socket.
/// TLS: `sslmode` (or `tlsmode`, `ssl`, `tls`) `require`, `verify-ca`, `verify-full`: required;
/// `prefer`, `allow`, `true`: used when the server offers it (the TCP default); `disable`,
/// `false`: never (the socket default).
struct PostgresURL: Sendable {
    enum Endpoint: Sendable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    enum TLSMode: Sendable {
        case disable, prefer, require
    }

    var endpoint: Endpoint
    var username: String
    var password: String?
    var database: String?
    var tls: TLSMode

    init(_ url: String) throws(ConfigurationError) {
        let key = "database URL"
        guard let components = URLComponents(string: url), let user = components.user, !user.isEmpty,
            let scheme = components.scheme?.lowercased()
        else {
            throw ConfigurationError(key: key, message: "a PostgreSQL URL needs a user name (postgres://USER@HOST/DB)")
        }
        self.username = user
        self.password = components.password
        let queryItems = components.queryItems ?? []
        switch scheme {
        case "postgres", "postgresql", "postgres+tcp", "postgresql+tcp":
            guard let host = components.host, !host.isEmpty else {
                throw ConfigurationError(key: key, message: "a PostgreSQL URL needs a host")
            }
            let name = String(components.path.drop(while: { $0 == "/" }))
            self.endpoint = .tcp(host: host, port: components.port ?? 5432)
            self.database = name.isEmpty ? nil : name
            self.tls = try Self.tls(queryItems, default: .prefer)
        case "postgres+uds", "postgresql+uds":
            guard (components.host ?? "").isEmpty || components.host == "localhost", components.port == nil,
                !components.path.isEmpty, components.path != "/"
            else {
                throw ConfigurationError(key: key, message: "expected postgres+uds://USER@/SOCKET/PATH#DATABASE")
            }
            self.endpoint = .socket(path: components.path)
            self.database = components.fragment
            self.tls = try Self.tls(queryItems, default: .disable)
        default:
            throw ConfigurationError(key: key, message: "unsupported scheme \"\(scheme)\"; use postgres://")
        }
    }

    /// The pool's configuration.
    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        switch self.endpoint {
        case .tcp(let host, let port):
            return PostgresClient.Configuration(
                host: host, port: port, username: self.username, password: self.password, database: self.database,
                tls: tls)
        case .socket(let path):
            var configuration = PostgresClient.Configuration(
                unixSocketPath: path, username: self.username, password: self.password, database: self.database)
            configuration.tls = tls
            return configuration
        }
    }

    /// One connection's configuration, for checks outside the pool.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        switch self.endpoint {
        case .tcp(let host, let port):
            return PostgresConnection.Configuration(
                host: host, port: port, username: self.username, password: self.password, database: self.database,
                tls: tls)
        case .socket(let path):
            var configuration = PostgresConnection.Configuration(
                unixSocketPath: path, username: self.username, password: self.password, database: self.database)
            configuration.tls = tls
            return configuration
        }
    }

    private static func tls(_ items: [URLQueryItem], default mode: TLSMode) throws(ConfigurationError) -> TLSMode {
        let names: Set = ["tlsmode", "sslmode", "ssl", "tls"]
        guard let value = items.last(where: { names.contains($0.name.lowercased()) })?.value else { return mode }
        switch value {
        case "verify-full", "verify-ca", "require": return .require
        case "prefer", "allow", "true": return .prefer
        case "disable", "false": return .disable
        default: throw ConfigurationError(key: "database URL", message: "unknown sslmode \"\(value)\"")
        }
    }
}
