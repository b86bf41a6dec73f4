import Foundation
import NIOCore
import RPC
import Testing

@testable import Upstream

/// The per-endpoint breaker (`ClusterConfiguration.endpointCircuitBreaker`): the cluster breaker's
/// state machine, asked without changing it while the picker passes endpoints over, and a real
/// stalled replica taken out of the rotation by it alone, then probed back.
@Suite(.serialized) struct EndpointBreakerTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private static func configuration() -> CircuitBreaker.Configuration {
        var configuration = CircuitBreaker.Configuration()
        configuration.windowSize = 4
        configuration.minimumCalls = 2
        configuration.openDuration = .seconds(10)
        configuration.halfOpenProbes = 2
        return configuration
    }

    @Test func wouldAdmitAnswersAsAdmitWouldWithoutChangingTheState() {
        var breaker = CircuitBreaker(configuration: Self.configuration())
        #expect(breaker.wouldAdmit(now: self.start))
        for _ in 0..<2 {
            let (admission, _) = breaker.admit(now: self.start)
            _ = breaker.record(serverFault: true, duration: .milliseconds(1), admission: admission, now: self.start)
        }
        let opened = breaker.state
        #expect(opened == .open(until: self.start + .seconds(10)))
        #expect(!breaker.wouldAdmit(now: self.start + .seconds(9)))
        #expect(breaker.state == opened, "asking changes nothing")
        #expect(breaker.wouldAdmit(now: self.start + .seconds(10)))
        #expect(breaker.state == opened, "asking does not half-open it")

        let later = self.start + .seconds(10)
        for _ in 0..<2 {
            #expect(breaker.wouldAdmit(now: later))
            #expect(breaker.admit(now: later).0 == .probe)
        }
        #expect(!breaker.wouldAdmit(now: later), "both probes are out")
        #expect(breaker.admit(now: later).0 == .reject(retryAfter: .seconds(1)))
        breaker.probeAbandoned()
        #expect(breaker.wouldAdmit(now: later), "an abandoned probe gives its place back")
    }

    @Test func anEndpointWhoseBreakerIsOpenIsNotEligible() throws {
        let endpoint = EndpointSlot(
            address: try SocketAddress(ipAddress: "127.0.0.1", port: 1), subchannels: [],
            outlier: OutlierDetector(configuration: .defaults),
            health: HealthStatus(healthyThreshold: 1, unhealthyThreshold: 1),
            breaker: CircuitBreaker(configuration: Self.configuration()))
        #expect(endpoint.isEligible(now: self.start))
        for _ in 0..<2 {
            let (admission, _) = endpoint.breaker!.admit(now: self.start)
            _ = endpoint.breaker!.record(
                serverFault: true, duration: .milliseconds(1), admission: admission, now: self.start)
        }
        #expect(!endpoint.isEligible(now: self.start + .seconds(5)))
        #expect(endpoint.isEligible(now: self.start + .seconds(10)), "open time over: eligible for a probe")
    }

    @Test func aStalledReplicaIsTakenOutByItsBreakerAndProbedBack() async throws {
        let replicas = try startReplicas(2)
        let stalled = replicas[0]
        defer { stalled.signal(SIGCONT) }
        try await withCluster(
            replicas,
            configure: {
                // The endpoint breaker alone: no ejection, no health checks, a cluster breaker that stays closed.
                $0.outlierDetection.consecutiveFaults = 1000
                $0.healthCheck = nil
                $0.circuitBreaker.minimumCalls = 1000
                var breaker = CircuitBreaker.Configuration()
                breaker.windowSize = 4
                breaker.minimumCalls = 2
                breaker.openDuration = .milliseconds(500)
                breaker.halfOpenProbes = 1
                $0.endpointCircuitBreaker = breaker
            }
        ) { cluster in
            try stalled.stop()
            var results: [Result<UpstreamResponse, UpstreamFailure>] = []
            for _ in 0..<12 {
                results.append(
                    await cluster.result(TestMethods.getVideo, TestMethods.getVideo(), timeout: .milliseconds(200)))
            }
            let failures = results.compactMap { result -> UpstreamFailure? in
                if case .failure(let failure) = result { failure } else { nil }
            }
            #expect(failures.count == 2, "two timeouts there open its breaker: \(failures)")
            #expect(failures.allSatisfy { $0.code == .deadlineExceeded })
            #expect(results.suffix(8).allSatisfy { (try? $0.get().endpoint.port) == replicas[1].port })
            let opened = await cluster.snapshot().loops[0].endpoints.first { $0.address.hasSuffix(":\(stalled.port)") }
            #expect(opened?.breaker?.description == "open")
            #expect(opened?.connections.contains(.ready) == true, "its connection is up: only the breaker holds it out")

            stalled.signal(SIGCONT)
            try await Task.sleep(for: .milliseconds(600))
            var ports: [Int] = []
            for _ in 0..<4 {
                let answer = try await cluster.unary(
                    TestMethods.getVideo, request: TestMethods.getVideo(), timeout: .seconds(2))
                ports.append(answer.endpoint.port ?? 0)
            }
            #expect(ports.contains(stalled.port), "the probe went to the recovered replica: \(ports)")
            let closed = await cluster.snapshot().loops[0].endpoints.first { $0.address.hasSuffix(":\(stalled.port)") }
            #expect(closed?.breaker == .closed)
        }
    }
}
