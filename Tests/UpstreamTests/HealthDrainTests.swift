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

        static func start() async throws -> Backend {
            let health = HealthService()
            var router = Router()
            health.register(in: &router)
            router.unary(TestMethods.unary) {
                (request: Halo_Testing_V1_EchoRequest, _) -> Halo_Testing_V1_EchoResponse in
                .with { $0.message = request.message }
            }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let server = Server(
                configuration: Server.Configuration(), router: router, group: group, logger: Logger(label: "test"))
            let address = try await server.start()
            return Backend(group: group, server: server, health: health, port: address.port!)
        }

        func stop() async throws {
            await self.server.shutdownGracefully()
            try await self.group.shutdownGracefully()
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
}
