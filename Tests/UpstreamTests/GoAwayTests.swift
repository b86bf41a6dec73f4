import Foundation
import MetricsTestKit
import NIOCore
import RPC
import Testing
import Upstream

/// A real backend (`halo-rpc-interop serve`, SIGUSR1) sends GOAWAY with a last stream id below the
/// calls in flight on its connection, as a restarting server hands back what it has not started:
/// those calls are re-sent to the other replica at once, none fails, and the ones the backend kept
/// are answered by it. RELIABILITY.md case 22 (rolling restart with GOAWAY).
@Suite(.serialized) struct GoAwayTests {
    @Test func callsPastTheLastStreamIDAreResentElsewhereAndNoneFails() async throws {
        let replicas = try startReplicas(2)
        let restarting = replicas[0]
        let perReplica = 8
        let metrics = TestMetrics()
        // No health Watch: its stream would be the oldest on the connection, the one kept.
        let results = try await withCluster(replicas, metrics: metrics, configure: { $0.healthCheck = nil }) {
            cluster in
            // Not idempotent: a call is sent again only if the server surely never processed it.
            // More calls are handed back at once than the retry budget's minimum (3): transparent
            // retries must not need it.
            let calls = (0..<(2 * perReplica)).map { _ in
                Task {
                    // Held 2.5 s: all sixteen are in flight together even where opening them is
                    // slow (AddressSanitizer on a busy machine); the timeout leaves room for a
                    // re-sent call's second 2.5 s.
                    await cluster.result(TestMethods.unary, TestMethods.echo(delayMs: 2500), timeout: .seconds(15))
                }
            }
            try await waitUntil("the calls are in flight on both replicas") {
                await cluster.snapshot().loops[0].endpoints.allSatisfy { $0.inFlight == perReplica }
            }
            // Their HEADERS have reached the backend: the GOAWAY below keeps one, refuses the others.
            try await Task.sleep(for: .milliseconds(100))
            restarting.signal(SIGUSR1)
            var results: [Result<UpstreamResponse, UpstreamFailure>] = []
            for call in calls { results.append(await call.value) }
            return results
        }
        let failures = results.filter { if case .failure = $0 { true } else { false } }
        #expect(failures.isEmpty, "\(failures.count) of \(results.count) calls failed: \(failures.prefix(3))")
        let answers = results.compactMap { try? $0.get() }
        let keptByRestarting = answers.filter { $0.endpoint.port == restarting.port }
        #expect(keptByRestarting.count == 1, "the one call at or below the last stream id was answered there")
        #expect(keptByRestarting.allSatisfy { $0.attempts == 1 })
        let resent = answers.filter { $0.attempts == 2 }
        #expect(resent.count == perReplica - 1, "every call past the last stream id went again")
        #expect(resent.allSatisfy { $0.endpoint.port == replicas[1].port }, "to the other replica")
        #expect(
            metrics.counterTotal(label: "upstream.retries", dimensions: [("cluster", "test")]) == perReplica - 1,
            "each re-sent call is counted once")
    }
}
