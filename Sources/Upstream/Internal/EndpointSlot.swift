import Logging
import NIOCore
import RPC

/// One resolved address of a cluster on one event loop: its connections, what health checks
/// and outlier detection think of it, and round-robin over its connections.
final class EndpointSlot: PickableEndpoint {
    let address: SocketAddress
    let subchannels: [Subchannel]
    var outlier: OutlierDetector
    var health: HealthStatus
    /// The endpoint's own breaker, when the cluster has one per endpoint.
    var breaker: CircuitBreaker?
    var checker: HealthChecker?
    /// Attempts in flight here (least-request balancing).
    var inFlight = 0
    private var nextSubchannel = 0

    init(
        address: SocketAddress, subchannels: [Subchannel], outlier: OutlierDetector, health: HealthStatus,
        breaker: CircuitBreaker? = nil
    ) {
        self.address = address
        self.subchannels = subchannels
        self.outlier = outlier
        self.health = health
        self.breaker = breaker
    }

    /// Healthy (or not yet checked), not ejected, and its breaker (if any) lets a call through.
    func isEligible(now: NIODeadline) -> Bool {
        self.health.admitsCalls && !self.outlier.isEjected(now: now) && (self.breaker?.wouldAdmit(now: now) ?? true)
    }

    /// The next connection with a free stream, round-robin.
    func pickSubchannel() -> Subchannel? {
        let count = self.subchannels.count
        for offset in 0..<count {
            let index = (self.nextSubchannel + offset) % count
            if self.subchannels[index].hasCapacity {
                self.nextSubchannel = (index + 1) % count
                return self.subchannels[index]
            }
        }
        return nil
    }

    var hasFreeStream: Bool { self.subchannels.contains { $0.hasCapacity } }

    /// Some connection is on its way up, or ready but full: a call can wait for it.
    var canServeSoon: Bool {
        self.subchannels.contains { subchannel in
            switch subchannel.state {
            case .idle, .connecting, .draining, .ready: true
            case .transientFailure, .shutdown: false
            }
        }
    }
}
