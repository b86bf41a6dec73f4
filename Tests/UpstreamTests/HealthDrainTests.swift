import HTTP2
import HealthProtos
import Logging
import NIOCore
import NIOPosix
import RPC
import SwiftProtobuf
import TestProtos
import Testing
import Upstream

/// grpc.health.v1 Watch against real servers: NOT_SERVING drains an endpoint at once (no
/// thresholds: the server's own word) and SERVING brings it back.
@Suite struct HealthDrainTests {
    /// An in-process backend with the echo method and a health service the test controls.
    struct Backend {
        let group: MultiThreadedEventLoopGroup
        let server: Server
        let health: HealthService
        let port: Int

        static func start(port: Int = 0) async throws -> Backend {
            let health = HealthService()
            var router = Router()
            health.register(in: &router)
            router.unary(TestMethods.unary) {
                (request: Halo_Testing_V1_EchoRequest, _) -> Halo_Testing_V1_EchoResponse in
                .with { $0.message = request.message }
            }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            var configuration = Server.Configuration()
            configuration.port = port
            // A Watch stream never ends on its own: shutdown closes it after this.
            configuration.http2.drainTimeout = .milliseconds(300)
            let server = Server(
                configuration: configuration, router: router, group: group, logger: Logger(label: "test"))
            // On a failed bind the group is left running: the dropped server completes its
            // shutdown promise on it (on a group already shut down, NIO would count it leaked).
            let address = try await server.start()
            return Backend(group: group, server: server, health: health, port: address.port!)
        }

        /// As the services stop: NOT_SERVING pushed to watchers, then the server drained.
        func stop() async throws {
            self.health.enterDrain()
            await self.server.shutdownGracefully()
            try await self.group.shutdownGracefully()
        }
    }

    /// A backend on `port` again; the port may be taken for a moment (an outgoing connection
    /// elsewhere in the run can be given it while it is free), so binding is tried for a while.
    private static func restart(on port: Int) async throws -> Backend {
        var attempt = 0
        while true {
            do {
                return try await Backend.start(port: port)
            } catch  where attempt < 40 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private static func servedPorts(_ cluster: Cluster, calls: Int) async -> Set<Int> {
        var ports: Set<Int> = []
        for _ in 0..<calls {
            if case .success(let response) = await cluster.result(TestMethods.unary, TestMethods.echo()) {
                ports.insert(response.endpoint.port!)
            }
        }
        return ports
    }

    @Test func notServingDrainsAndServingBringsBack() async throws {
        let (first, second) = (try await Backend.start(), try await Backend.start())
        var configuration = ClusterConfiguration(
            name: "health", endpoints: [first.port, second.port].map { .init(host: "127.0.0.1", port: $0) })
        // Check polls would take seconds: a Watch push must not wait for them.
        configuration.healthCheck?.interval = .seconds(30)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let cluster = Cluster(configuration: configuration, group: group, logger: Logger(label: "test"))
        try await cluster.start()
        func health(of port: Int) async -> HealthStatus.State? {
            await cluster.snapshot().loops[0].endpoints.first { $0.address.hasSuffix(":\(port)") }?.health
        }
        try await waitUntil("both endpoints healthy") {
            let (firstHealth, secondHealth) = (await health(of: first.port), await health(of: second.port))
            return firstHealth == .healthy && secondHealth == .healthy
        }
        let before = await Self.servedPorts(cluster, calls: 10)
        #expect(before == [first.port, second.port])

        first.health.setStatus(.notServing)
        try await waitUntil("the first endpoint is drained", timeout: .seconds(1)) {
            await health(of: first.port) == .unhealthy
        }
        let drained = await Self.servedPorts(cluster, calls: 10)
        #expect(drained == [second.port])

        first.health.setStatus(.serving)
        try await waitUntil("the first endpoint is back", timeout: .seconds(1)) {
            await health(of: first.port) == .healthy
        }
        let after = await Self.servedPorts(cluster, calls: 10)
        #expect(after == [first.port, second.port])

        await cluster.shutDown()
        try await group.shutdownGracefully()
        try await first.stop()
        try await second.stop()
    }

    /// A backend that restarts is checked as soon as its new connection is ready, not after the
    /// check interval that began when the old connection broke: until then every call on the loop
    /// would be refused with "no healthy endpoint" although the backend answers.
    @Test func aRestartedBackendIsHealthyAgainOnceReconnected() async throws {
        var backend = try await Backend.start()
        let port = backend.port
        var configuration = ClusterConfiguration(name: "restart", endpoints: [.init(host: "127.0.0.1", port: port)])
        configuration.healthCheck?.interval = .seconds(60)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let cluster = Cluster(configuration: configuration, group: group, logger: Logger(label: "test"))
        try await cluster.start()
        func health() async -> HealthStatus.State? { await cluster.snapshot().loops[0].endpoints.first?.health }
        var outcome: Result<Void, any Error> = .success(())
        do {
            try await waitUntil("the endpoint is healthy") { await health() == .healthy }
            try await backend.stop()
            try await waitUntil("NOT_SERVING marks the endpoint unhealthy") { await health() == .unhealthy }
            backend = try await Self.restart(on: port)
            // Reconnecting takes a backoff step or two (from 100 ms); the check interval is a minute.
            try await waitUntil("the endpoint is healthy again", timeout: .seconds(10)) { await health() == .healthy }
            if case .failure(let failure) = await cluster.result(TestMethods.unary, TestMethods.echo()) {
                Issue.record("a call after the restart failed: \(failure)")
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
