import HealthProtos
import Logging
import RPC
import ServiceLifecycle

/// Runs a ``HealthProbe`` every interval and sets the health of `services` (and of the whole
/// server): NOT_SERVING while the probe fails, SERVING again when it passes. Logs changes only.
struct HealthProbeService: Service, CustomStringConvertible {
    let probe: any HealthProbe
    let health: HealthService
    let services: [String]
    let interval: Duration
    let timeout: Duration
    let logger: Logger

    var description: String { "\(self.probe.name)-probe" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var healthy = true
            while !Task.isCancelled {
                let failure: (any Error)?
                do {
                    try await self.probe.check(timeout: self.timeout)
                    failure = nil
                } catch {
                    failure = error
                }
                guard !Task.isCancelled else { return }
                if let error = failure, healthy {
                    healthy = false
                    self.logger.error(
                        "dependency unreachable, health NOT_SERVING",
                        metadata: ["dependency": "\(self.probe.name)", "error": "\(error)"])
                    self.set(.notServing)
                } else if failure == nil, !healthy {
                    healthy = true
                    self.logger.notice(
                        "dependency reachable again, health SERVING", metadata: ["dependency": "\(self.probe.name)"])
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
