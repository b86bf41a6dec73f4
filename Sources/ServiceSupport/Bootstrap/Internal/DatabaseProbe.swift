import Logging
import Protos
import RPC
import ServiceLifecycle

/// Runs `SELECT 1` every interval and sets the health of `services` (and of the whole server):
/// NOT_SERVING while the database does not answer, SERVING again when it does. Logs changes only.
struct DatabaseProbe: Service, CustomStringConvertible {
    let database: ServiceDatabase
    let health: HealthService
    let services: [String]
    let interval: Duration
    let timeout: Duration
    let logger: Logger

    var description: String { "database-probe" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var healthy = true
            while !Task.isCancelled {
                let failure: (any Error)?
                do {
                    try await self.database.ping(timeout: self.timeout)
                    failure = nil
                } catch {
                    failure = error
                }
                guard !Task.isCancelled else { return }
                if let error = failure, healthy {
                    healthy = false
                    self.logger.error(
                        "database unreachable, health NOT_SERVING",
                        metadata: ["error": "\(DatabaseErrors.classify(error))", "cause": "\(error)"])
                    self.set(.notServing)
                } else if failure == nil, !healthy {
                    healthy = true
                    self.logger.notice("database reachable again, health SERVING")
                    self.set(.serving)
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    private func set(_ status: HealthService.Status) {
        for service in self.services { self.health.setStatus(status, for: service) }
        self.health.setStatus(status, for: "")
    }
}
