package import ServiceSupport
import Sodium

extension AuthService.Configuration {
    /// Reads the environment over `defaults`:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `HALO_AUTH_ISSUER` | `iss` of access tokens (the gateway must expect the same) |
    /// | `HALO_AUTH_AUDIENCE` | `aud` of access tokens |
    /// | `HALO_AUTH_ACCESS_TOKEN_SECONDS` | access token lifetime, 60-86400 (default 900) |
    /// | `HALO_AUTH_REFRESH_TOKEN_SECONDS` | refresh token lifetime, 300-31536000 (default 30 days) |
    ///
    /// An empty variable counts as unset; any other unusable value throws, naming the variable.
    package static func fromEnvironment(
        _ environment: [String: String], defaults: Self = .defaults
    ) throws(ConfigurationError) -> Self {
        var configuration = defaults
        let variables = EnvironmentReader(environment)
        if let issuer = try variables.text("HALO_AUTH_ISSUER") { configuration.issuer = issuer }
        if let audience = try variables.text("HALO_AUTH_AUDIENCE") { configuration.audience = audience }
        if let seconds = try variables.integer("HALO_AUTH_ACCESS_TOKEN_SECONDS", in: 60...86_400) {
            configuration.accessTokenLifetime = .seconds(seconds)
        }
        if let seconds = try variables.integer("HALO_AUTH_REFRESH_TOKEN_SECONDS", in: 300...31_536_000) {
            configuration.refreshTokenLifetime = .seconds(seconds)
        }
        return configuration
    }
}

extension PasswordHasher.Configuration {
    /// Reads the environment over `defaults`:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `HALO_AUTH_ARGON2_MEMORY_KIB` | Argon2id memory cost in KiB, at least 19456 (19 MiB, the default) |
    /// | `HALO_AUTH_ARGON2_ITERATIONS` | Argon2id passes, at least 2 (the default) |
    /// | `HALO_AUTH_HASH_THREADS` | hashes computed at once, 1-64 (default 2) |
    /// | `HALO_AUTH_HASH_QUEUE` | calls that may wait for a hashing thread, 0-100000 (default 512) |
    ///
    /// Raising the cost is safe: existing hashes still verify and are rehashed at the next login.
    package static func fromEnvironment(
        _ environment: [String: String], defaults: Self = .defaults
    ) throws(ConfigurationError) -> Self {
        var configuration = defaults
        let variables = EnvironmentReader(environment)
        if let kib = try variables.integer("HALO_AUTH_ARGON2_MEMORY_KIB", in: 19_456...4_194_304) {
            configuration.argon2.memoryLimitBytes = kib * 1024
        }
        if let passes = try variables.integer("HALO_AUTH_ARGON2_ITERATIONS", in: 2...64) {
            configuration.argon2.opsLimit = passes
        }
        if let threads = try variables.integer("HALO_AUTH_HASH_THREADS", in: 1...64) {
            configuration.concurrency = threads
        }
        if let queue = try variables.integer("HALO_AUTH_HASH_QUEUE", in: 0...100_000) {
            configuration.maximumWaiting = queue
        }
        return configuration
    }
}

/// Typed reads of environment variables; empty counts as unset.
private struct EnvironmentReader {
    let environment: [String: String]

    init(_ environment: [String: String]) {
        self.environment = environment
    }

    func text(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = self.environment[key], !value.isEmpty else { return nil }
        guard !value.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw ConfigurationError(key: key, message: "must not contain whitespace")
        }
        return value
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = try self.text(key) else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw ConfigurationError(
                key: key, message: "not a whole number \(range.lowerBound)-\(range.upperBound): \"\(value)\"")
        }
        return number
    }
}
