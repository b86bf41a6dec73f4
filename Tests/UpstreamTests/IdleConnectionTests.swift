import Foundation
import HealthProtos
import Logging
import NIOCore
import NIOPosix
import RPC
import Testing
import Upstream

/// `ClusterConfiguration.idleTimeout` against a real backend: a connection with no call for the
/// timeout closes and stays closed (a health Watch stream does not keep it open), and the next
/// call connects again and succeeds. A call longer than the timeout is never cut.
@Suite(.serialized) struct IdleConnectionTests {
    @Test(arguments: [true, false])
    func anIdleConnectionClosesAndTheNextCallReconnects(healthChecked: Bool) async throws {
        let replicas = try startReplicas(1)
        try await withCluster(
            replicas,
            configure: {
                // A second, not less: withCluster must see the connection ready before it closes,
                // and under AddressSanitizer on a busy machine its polling can lag by 300 ms.
                $0.idleTimeout = .seconds(1)
                if !healthChecked { $0.healthCheck = nil }
            }
        ) { cluster in
            func endpoint() async -> ClusterSnapshot.Endpoint? { await cluster.snapshot().loops[0].endpoints.first }
            if healthChecked {
                try await waitUntil("the endpoint is healthy") { await endpoint()?.health == .healthy }
            }
            // A call longer than the idle timeout keeps the connection: it is not cut.
            let slow = await cluster.result(TestMethods.unary, TestMethods.echo(delayMs: 1500), timeout: .seconds(5))
            guard case .success(let answer) = slow else {
                Issue.record("a call longer than the idle timeout fails: \(slow)")
                return
            }
            #expect(answer.attempts == 1)

            // Closed between one and two idle timeouts after the last call; the bound is generous.
            try await waitUntil("the idle connection is closed") { await endpoint()?.connections == [.idle] }
            // And it stays closed: nothing connects it again before a call needs it.
            try await Task.sleep(for: .milliseconds(1200))
            let idle = await endpoint()
            #expect(idle?.connections == [.idle], "nothing reconnects an idle connection")
            #expect(await cluster.snapshot().hasUsableEndpoint, "still ready (the gateway's /ready): a call connects")
            if healthChecked {
                #expect(idle?.health == .healthy, "an idle endpoint keeps its last health")
            }

            let next = await cluster.result(TestMethods.getVideo, TestMethods.getVideo(), timeout: .seconds(5))
            guard case .success(let response) = next else {
                Issue.record("the call after the idle close fails: \(next)")
                return
            }
            #expect(response.endpoint.port == replicas[0].port)
            #expect(await endpoint()?.connections == [.ready])
        }
    }

    /// Health checks pause while the connection is idle (its Watch stream is closed with it, and
    /// the endpoint keeps its last health) and resume on the next connection.
    @Test func healthChecksPauseWhileIdleAndResumeAfter() async throws {
        let backend = try await HealthDrainTests.Backend.start()
        var configuration = ClusterConfiguration(
            name: "idle", endpoints: [.init(host: "127.0.0.1", port: backend.port)])
        configuration.idleTimeout = .seconds(1)
        // Watch pushes only: a Check poll or a re-opened Watch would take a minute.
        configuration.healthCheck?.interval = .seconds(60)
        // A Watch stream closed for idleness counted as a failed check would drain the endpoint.
        configuration.healthCheck?.unhealthyThreshold = 1
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let cluster = Cluster(configuration: configuration, group: group, logger: Logger(label: "test"))
        func endpoint() async -> ClusterSnapshot.Endpoint? { await cluster.snapshot().loops[0].endpoints.first }
        var outcome: Result<Void, any Error> = .success(())
        do {
            try await cluster.start()
            try await waitUntil("the endpoint is healthy") { await endpoint()?.health == .healthy }
            try await waitUntil("the idle connection is closed") { await endpoint()?.connections == [.idle] }
            #expect(await endpoint()?.health == .healthy, "the closed Watch stream is not a failed check")
            // No Watch stream is left open to hear this while idle: the endpoint keeps its health.
            backend.health.setStatus(.notServing)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await endpoint()?.health == .healthy, "no health stream outlives the idle close")
            // The next call connects again; the Watch on the new connection hears NOT_SERVING.
            if case .failure(let failure) = await cluster.result(TestMethods.unary, TestMethods.echo()) {
                Issue.record("the call after the idle close fails: \(failure)")
            }
            try await waitUntil("the Watch on the new connection drains the endpoint", timeout: .seconds(2)) {
                await endpoint()?.health == .unhealthy
            }
        } catch {
            outcome = .failure(error)
        }
        await cluster.shutDown()
        try await group.shutdownGracefully()
        try await backend.stop()
        try outcome.get()
    }
}
