import Foundation
import Logging

extension ServiceConfiguration {
    /// Reads the environment over `defaults`:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `HALO_<SERVICE>_HOST` | listen address |
    /// | `HALO_<SERVICE>_PORT` | listen port, 0-65535 |
    /// | `HALO_DATA_DIR` | data directory |
    /// | `HALO_<SERVICE>_DATABASE_URL` | `postgres://…`, `postgresql://…` or `sqlite://<path>`; unset: SQLite in the data directory |
    /// | `HALO_LOG_LEVEL` | trace, debug, info, notice, warning, error or critical |
    ///
    /// `<SERVICE>` is `service` upper-cased (`video` -> `HALO_VIDEO_PORT`). An empty variable counts
    /// as unset. Any other unusable value throws, naming the variable.
    package static func fromEnvironment(
        service: String, defaults: Self = .defaults,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> Self {
        var configuration = defaults
        let prefix = "HALO_\(Self.environmentName(service))_"
        func value(_ key: String) -> String? {
            guard let value = environment[key], !value.isEmpty else { return nil }
            return value
        }

        if let host = value(prefix + "HOST") {
            guard !host.contains(where: { $0.isWhitespace }) else {
                throw ConfigurationError(key: prefix + "HOST", message: "not a host name or address: \"\(host)\"")
            }
            configuration.listen.host = host
        }
        if let port = value(prefix + "PORT") {
            guard let number = Int(port), (0...65535).contains(number) else {
                throw ConfigurationError(key: prefix + "PORT", message: "not a port number 0-65535: \"\(port)\"")
            }
            configuration.listen.port = number
        }
        if let directory = value("HALO_DATA_DIR") {
            configuration.dataDirectory = directory
        }
        if let url = value(prefix + "DATABASE_URL") {
            do {
                _ = try DatabaseLocation(url: url, dataDirectory: configuration.dataDirectory, service: service)
            } catch {
                throw ConfigurationError(key: prefix + "DATABASE_URL", message: error.message)
            }
            configuration.databaseURL = url
        }
        if let level = value("HALO_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(key: "HALO_LOG_LEVEL", message: "\"\(level)\" is not one of \(names)")
            }
            configuration.logLevel = parsed
        }
        return configuration
    }

    /// `video` -> `VIDEO`, `rate-limit` -> `RATE_LIMIT`.
    static func environmentName(_ service: String) -> String {
        String(service.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
