import Foundation

/// Where a service's database is, decided from its URL (or its absence).
package enum DatabaseLocation: Sendable, Hashable {
    /// A SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server, by its `postgres://` URL.
    case postgres(url: String)

    /// nil: SQLite at `<dataDirectory>/<service>.sqlite`; `postgres://` or `postgresql://` (also `+tcp`
    /// and `+uds` forms): PostgreSQL; `sqlite://<path>` (`sqlite:///abs/path` or `sqlite://relative/path`): SQLite.
    package init(url: String?, dataDirectory: String, service: String) throws(ConfigurationError) {
        guard let url else {
            let directory = URL(fileURLWithPath: dataDirectory, isDirectory: true)
            self = .sqlite(path: directory.appendingPathComponent("\(service).sqlite").path)
            return
        }
        let key = "database URL"
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else {
            throw ConfigurationError(key: key, message: "expected postgres://… or sqlite://…")
        }
        let scheme = url[..<colon].lowercased()
        switch scheme {
        case "postgres", "postgresql", "postgres+tcp", "postgresql+tcp", "postgres+uds", "postgresql+uds":
            guard let components = URLComponents(string: url) else {
                throw ConfigurationError(key: key, message: "not a valid URL")
            }
            guard let user = components.user, !user.isEmpty else {
                throw ConfigurationError(
                    key: key, message: "a PostgreSQL URL needs a user name (postgres://USER@HOST/DB)")
            }
            if !scheme.hasSuffix("+uds") && (components.host ?? "").isEmpty {
                throw ConfigurationError(key: key, message: "a PostgreSQL URL needs a host")
            }
            self = .postgres(url: url)
        case "sqlite":
            let path = String(url[url.index(colon, offsetBy: 3)...])
            guard !path.isEmpty else { throw ConfigurationError(key: key, message: "sqlite:// needs a file path") }
            self = .sqlite(path: path)
        default:
            throw ConfigurationError(
                key: key, message: "unsupported scheme \"\(scheme)\"; use postgres:// or sqlite://")
        }
    }
}
