/// A dependency whose reachability decides a service's health: its database, Redis.
///
/// ``ServiceRunner`` calls ``check(timeout:)`` every probe interval and reports the services
/// NOT_SERVING while it throws, SERVING again once it returns.
package protocol HealthProbe: Sendable {
    /// Short name for logs, e.g. `database` or `redis`.
    var name: String { get }
    /// Returns when the dependency answered within `timeout`; throws otherwise.
    func check(timeout: Duration) async throws
}

extension ServiceDatabase: HealthProbe {
    package var name: String { "database" }

    /// `SELECT 1` within `timeout`.
    package func check(timeout: Duration) async throws {
        try await self.ping(timeout: timeout)
    }
}
