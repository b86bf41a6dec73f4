import Foundation
import HTTP2
import NIOCore
import RPC
import Testing
import Upstream

/// Pass-through calls against real backends (`halo-rpc-interop serve`): sent again elsewhere when
/// the backend surely never processed them, and judged by their outcome, not their length.
@Suite(.serialized) struct UpstreamStreamRetryTests {
    static let unary = MethodDescriptor(service: TestMethods.service, method: "Unary")

    /// A restarting backend's GOAWAY hands back the calls past its last stream id: unary
    /// pass-through calls, whose whole request the pool kept, go again to the other replica
    /// within their deadline, and none fails (the REST path's transparent retry).
    @Test func unaryCallsPastTheLastStreamIDAreResentElsewhere() async throws {
        let replicas = try startReplicas(2)
        let perReplica = 8
        try await withCluster(replicas, configure: { $0.healthCheck = nil }) { cluster in
            var recorders: [StreamRecorder] = []
            for index in 0..<(2 * perReplica) {
                // Each call is held for 2.5 s, so all sixteen are in flight together even when
                // opening them is slow (the ASan build under a loaded machine took over 600 ms);
                // the deadline leaves room for a resent call's second 2.5 s.
                let (recorder, _) = try await UpstreamStreamTests.open(
                    cluster, Self.unary, deadline: .seconds(15)
                ) { stream in
                    stream.write(UpstreamStreamTests.framed("call \(index)", delayMs: 2500), endStream: true)
                }
                recorders.append(recorder)
            }
            try await waitUntil("the calls are in flight on both replicas") {
                await cluster.snapshot().loops[0].endpoints.allSatisfy { $0.inFlight == perReplica }
            }
            // Their HEADERS have reached the backend: the GOAWAY below keeps one, refuses the others.
            try await Task.sleep(for: .milliseconds(100))
            replicas[0].signal(SIGUSR1)
            for recorder in recorders { try await recorder.finished.futureResult.get() }
            var failed: [String] = []
            for (index, recorder) in recorders.enumerated() {
                guard case .status(.ok, _, _) = recorder.end else {
                    failed.append("call \(index): \(String(describing: recorder.end))")
                    continue
                }
                #expect(try recorder.messages().map(\.message) == ["call \(index)"])
            }
            #expect(failed.isEmpty, "\(failed.count) calls failed: \(failed.prefix(3))")
            let active = try await cluster.loops[0].submit { cluster.pool(on: cluster.loops[0]).activeRequests }.get()
            #expect(active == 0)
        }
    }

    /// A call whose request has not ended (a bidirectional stream that may still send) is not
    /// kept whole, so a refusal ends it UNAVAILABLE after one attempt rather than sending it again.
    @Test func aStreamWhoseRequestHasNotEndedIsNotResent() async throws {
        let replicas = try startReplicas(2)
        try await withCluster(replicas, configure: { $0.healthCheck = nil }) { cluster in
            var opened: [(StreamRecorder, NIOLoopBound<UpstreamStream>)] = []
            for _ in 0..<4 { opened.append(try await UpstreamStreamTests.open(cluster, UpstreamStreamTests.bidi)) }
            let calls = opened
            try await waitUntil("two calls are in flight on each replica") {
                await cluster.snapshot().loops[0].endpoints.allSatisfy { $0.inFlight == 2 }
            }
            try await Task.sleep(for: .milliseconds(100))
            // Replica 0 keeps its first stream and refuses the second.
            replicas[0].signal(SIGUSR1)
            try await waitUntil("the refused call ended") {
                (try? await cluster.loops[0].submit { calls.contains { $0.0.end != nil } }.get()) ?? false
            }
            try await Task.sleep(for: .milliseconds(200))
            let ends = try await cluster.loops[0].submit {
                let ends = calls.map(\.0.end)
                for (recorder, stream) in calls where recorder.end == nil {
                    stream.value.cancel()
                    recorder.complete()
                }
                return ends
            }.get()
            let ended = ends.compactMap { $0 }
            #expect(ended.count == 1, "only the refused call ended: \(ended)")
            guard case .failed(let failure) = ended.first else {
                Issue.record("expected a failure: \(ended)")
                return
            }
            #expect(failure.code == .unavailable)
            #expect(failure.attempts == 1)
        }
    }

    /// Streams are long by nature: a stream's duration is never a slow call for the cluster's or
    /// an endpoint's breaker, whose slow-call rule would otherwise open both here.
    @Test func longStreamsAreNotSlowCallsForTheBreakers() async throws {
        let replica = try Replica()
        defer { try? replica.stop() }
        var breaker = CircuitBreaker.Configuration()
        breaker.slowCallDuration = .milliseconds(50)
        breaker.slowCallRateThreshold = 0.5
        breaker.minimumCalls = 2
        breaker.windowSize = 4
        try await withCluster(
            [replica],
            configure: {
                $0.circuitBreaker = breaker
                $0.endpointCircuitBreaker = breaker
            }
        ) { cluster in
            for index in 0..<4 {
                let (recorder, _) = try await UpstreamStreamTests.open(cluster, UpstreamStreamTests.bidi) { stream in
                    stream.write(UpstreamStreamTests.framed("slow \(index)", delayMs: 200), endStream: true)
                }
                try await recorder.finished.futureResult.get()
                guard case .status(.ok, _, _) = recorder.end else {
                    Issue.record("call \(index) was not answered: \(String(describing: recorder.end))")
                    return
                }
            }
            let loop = await cluster.snapshot().loops[0]
            #expect(loop.breaker == .closed)
            #expect(loop.endpoints.allSatisfy { $0.breaker == .closed })
        }
    }
}
