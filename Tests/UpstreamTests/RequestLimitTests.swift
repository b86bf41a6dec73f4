import HTTP2
import Logging
import MetricsTestKit
import NIOCore
import NIOPosix
import RPC
import SwiftProtobuf
import Synchronization
import TestProtos
import Testing
import Upstream

/// The per-loop request limits (`maxPendingRequests`, `maxActiveRequests`) on unary calls: past
/// either, a call fails at once as overloaded, with Retry-After and no backend call, while the
/// calls already admitted carry on.
@Suite struct RequestLimitTests {
    /// Counts calls and holds them until opened.
    final class Gate: Sendable {
        private struct State {
            var calls = 0
            var isOpen = false
            var waiting: [CheckedContinuation<Void, Never>] = []
        }

        private let state = Mutex(State())

        var calls: Int { self.state.withLock { $0.calls } }

        func pass() async {
            await withCheckedContinuation { continuation in
                let isOpen = self.state.withLock { state in
                    state.calls += 1
                    if !state.isOpen { state.waiting.append(continuation) }
                    return state.isOpen
                }
                if isOpen { continuation.resume() }
            }
        }

        func open() {
            let waiting = self.state.withLock { state in
                state.isOpen = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    /// An in-process backend whose echo calls are counted and held until the test opens the gate.
    final class GatedBackend: Sendable {
        private let gate = Gate()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        private let server: Server
        let port: Int

        init() async throws {
            let gate = self.gate
            var router = Router()
            router.unary(TestMethods.unary) {
                (request: Halo_Testing_V1_EchoRequest, _) -> Halo_Testing_V1_EchoResponse in
                await gate.pass()
                return .with { $0.message = request.message }
            }
            self.server = Server(
                configuration: Server.Configuration(), router: router, group: self.group,
                logger: Logger(label: "test"))
            self.port = try await self.server.start().port!
        }

        /// Calls the backend received.
        var calls: Int { self.gate.calls }

        /// Lets every held call and every later one answer.
        func open() { self.gate.open() }

        func stop() async throws {
            self.open()
            await self.server.shutdownGracefully()
            try await self.group.shutdownGracefully()
        }
    }

    /// A cluster of one loop over `backend`, without health checks (a Watch would hold a stream).
    private static func withCluster(
        _ backend: GatedBackend, metrics: TestMetrics, configure: (inout ClusterConfiguration) -> Void,
        _ body: (Cluster) async throws -> Void
    ) async throws {
        var configuration = ClusterConfiguration(
            name: "limits", endpoints: [.init(host: "127.0.0.1", port: backend.port)])
        configuration.healthCheck = nil
        configure(&configuration)
        let cluster = Cluster(
            configuration: configuration, group: backend.group, logger: Logger(label: "test"), metricsFactory: metrics)
        var outcome: Result<Void, any Error> = .success(())
        do {
            try await cluster.start()
            try await waitUntil("the endpoint is ready") {
                await cluster.snapshot().loops[0].endpoints.first?.connections == [.ready]
            }
            try await body(cluster)
        } catch {
            outcome = .failure(error)
        }
        backend.open()
        await cluster.shutDown()
        try await backend.stop()
        try outcome.get()
    }

    private static func expectOverloaded(_ result: Result<UpstreamResponse, UpstreamFailure>) {
        guard case .failure(let failure) = result else {
            Issue.record("a call past the limit is refused")
            return
        }
        #expect(failure.reason == .overloaded)
        #expect(failure.code == .unavailable)
        #expect(failure.attempts == 0, "no backend call")
        #expect(failure.retryAfter != nil)
    }

    @Test func pastThePendingLimitACallFailsAtOnce() async throws {
        let backend = try await GatedBackend()
        let metrics = TestMetrics()
        try await Self.withCluster(
            backend, metrics: metrics,
            configure: {
                $0.maxConcurrentStreams = 1
                $0.maxPendingRequests = 2
            }
        ) { cluster in
            // One call holds the only stream; two wait for it: the pending queue is full.
            let admitted = (0..<3).map { _ in
                Task { await cluster.result(TestMethods.unary, TestMethods.echo(), timeout: .seconds(10)) }
            }
            try await waitUntil("one call at the backend, two waiting") {
                let loop = await cluster.snapshot().loops[0]
                return backend.calls == 1 && loop.pendingRequests == 2
            }
            Self.expectOverloaded(await cluster.result(TestMethods.unary, TestMethods.echo(), timeout: .seconds(30)))
            let loop = await cluster.snapshot().loops[0]
            #expect(loop.activeRequests == 3 && loop.pendingRequests == 2, "refused without waiting for a stream")
            backend.open()
            // Each waiting call starts when the stream before it has closed (after its answer
            // came), not at its deadline.
            for call in admitted {
                if case .failure(let failure) = await call.value { Issue.record("an admitted call failed: \(failure)") }
            }
            #expect(backend.calls == 3, "the refused call never reached the backend")
        }
        #expect(
            metrics.counterTotal(
                label: "upstream.rejections", dimensions: [("cluster", "limits"), ("reason", "overloaded")]) == 1)
    }

    @Test func pastTheActiveLimitACallFailsAtOnce() async throws {
        let backend = try await GatedBackend()
        let metrics = TestMetrics()
        try await Self.withCluster(backend, metrics: metrics, configure: { $0.maxActiveRequests = 2 }) { cluster in
            let admitted = (0..<2).map { _ in
                Task { await cluster.result(TestMethods.unary, TestMethods.echo(), timeout: .seconds(30)) }
            }
            try await waitUntil("two calls at the backend") { backend.calls == 2 }
            Self.expectOverloaded(await cluster.result(TestMethods.unary, TestMethods.echo(), timeout: .seconds(30)))
            #expect(await cluster.snapshot().loops[0].activeRequests == 2)
            backend.open()
            for call in admitted {
                if case .failure(let failure) = await call.value { Issue.record("an admitted call failed: \(failure)") }
            }
            #expect(backend.calls == 2, "the refused call never reached the backend")
            // Room again once they are answered.
            if case .failure(let failure) = await cluster.result(TestMethods.unary, TestMethods.echo()) {
                Issue.record("a call under the limit failed: \(failure)")
            }
        }
        #expect(
            metrics.counterTotal(
                label: "upstream.rejections", dimensions: [("cluster", "limits"), ("reason", "overloaded")]) == 1)
    }
}
