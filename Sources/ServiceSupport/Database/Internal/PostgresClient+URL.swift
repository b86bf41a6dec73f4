import Foundation
import PostgresNIO

extension PostgresClient.Configuration {
    /// The configuration a `postgres://` URL names, read as postgres-kit reads it:
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]` (also `postgresql`, `+tcp`),
    /// or `postgres+uds://USER[:PASSWORD]@/SOCKET/PATH[?sslmode=MODE]#DATABASE` for a Unix socket.
    /// TLS: `sslmode` (or `tlsmode`, `ssl`, `tls`) `require`, `verify-ca`, `verify-full`: required;
    /// `prefer`, `allow`, `true`: used when the server offers it (the TCP default); `disable`,
    /// `false`: never (the socket default).
    init(url: String) throws(ConfigurationError) {
        let key = "database URL"
        guard let components = URLComponents(string: url), let user = components.user, !user.isEmpty,
            let scheme = components.scheme?.lowercased()
        else {
            throw ConfigurationError(key: key, message: "a PostgreSQL URL needs a user name (postgres://USER@HOST/DB)")
        }
        let queryItems = components.queryItems ?? []
        switch scheme {
        case "postgres", "postgresql", "postgres+tcp", "postgresql+tcp":
            guard let host = components.host, !host.isEmpty else {
                throw ConfigurationError(key: key, message: "a PostgreSQL URL needs a host")
            }
            let name = String(components.path.drop(while: { $0 == "/" }))
            self.init(
                host: host, port: components.port ?? 5432, username: user, password: components.password,
                database: name.isEmpty ? nil : name, tls: try Self.tls(queryItems, default: "prefer"))
        case "postgres+uds", "postgresql+uds":
            guard (components.host ?? "").isEmpty || components.host == "localhost", components.port == nil,
                !components.path.isEmpty, components.path != "/"
            else {
                throw ConfigurationError(key: key, message: "expected postgres+uds://USER@/SOCKET/PATH#DATABASE")
            }
            self.init(
                unixSocketPath: components.path, username: user, password: components.password,
                database: components.fragment)
            self.tls = try Self.tls(queryItems, default: "disable")
        default:
            throw ConfigurationError(key: key, message: "unsupported scheme \"\(scheme)\"; use postgres://")
        }
    }

    private static func tls(_ items: [URLQueryItem], default mode: String) throws(ConfigurationError) -> TLS {
        let names: Set = ["tlsmode", "sslmode", "ssl", "tls"]
        switch items.last(where: { names.contains($0.name.lowercased()) })?.value ?? mode {
        case "verify-full", "verify-ca", "require":
            return .require(.makeClientConfiguration())
        case "prefer", "allow", "true":
            return .prefer(.makeClientConfiguration())
        case "disable", "false":
            return .disable
        case let other:
            throw ConfigurationError(key: "database URL", message: "unknown sslmode \"\(other)\"")
        }
    }
}
