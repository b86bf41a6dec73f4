import Logging
import NIOCore
import NIOPosix
import RPC
import SwiftProtobuf
import TestProtos
import Testing
import Upstream

/// Cluster behaviour that needs no backend process: resolution and an all-down cluster.
@Suite struct ClusterTests {
    /// A port nothing listens on: bound, then closed.
    private static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    @Test func allEndpointsDownFailFastNotAtTheDeadline() async throws {
        let port = try await Self.closedPort()
        var configuration = ClusterConfiguration(name: "down", endpoints: [.init(host: "127.0.0.1", port: port)])
        configuration.reconnectBackoff = Backoff(initial: .seconds(5), multiplier: 2, jitter: 0, maximum: .seconds(5))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let cluster = Cluster(configuration: configuration, group: group, logger: Logger(label: "test"))
        try await cluster.start()
        try await waitUntil("the endpoint failed to connect") {
            await cluster.snapshot().loops[0].endpoints.first?.connections == [.transientFailure]
        }
        let started = ContinuousClock.now
        let result = await cluster.result(TestMethods.getVideo, TestMethods.getVideo(), timeout: .seconds(5))
        guard case .failure(let failure) = result else {
            Issue.record("nothing listens there")
            return
        }
        #expect(failure.reason == .noEndpoint)
        #expect(failure.code == .unavailable)
        #expect(!failure.failure.mayHaveBeenProcessed)
        // No endpoint can serve: the answer is immediate (no call is queued until the 5 s deadline).
        // The bound is far from the deadline yet leaves room for one hop under AddressSanitizer on a
        // loaded machine (568 ms was seen there once; a few ms normally).
        #expect(ContinuousClock.now - started < .seconds(1))
        await cluster.shutDown()
        try await group.shutdownGracefully()
    }

    @Test func endpointsParse() {
        #expect(ClusterConfiguration.Endpoint("video:50052") == .init(host: "video", port: 50052))
        #expect(ClusterConfiguration.Endpoint("[::1]:80") == .init(host: "::1", port: 80))
        #expect(ClusterConfiguration.Endpoint("[::1]:80")?.description == "[::1]:80")
        #expect(ClusterConfiguration.Endpoint("video") == nil)
        #expect(ClusterConfiguration.Endpoint(":80") == nil)
        #expect(ClusterConfiguration.Endpoint("video:0") == nil)
    }

    @Test func dnsResolvesEveryAddress() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let addresses = try await DNSResolver().resolve(.init(host: "localhost", port: 50051), on: loop).get()
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { $0.port == 50051 })
        let literal = try await DNSResolver().resolve(.init(host: "127.0.0.1", port: 1), on: loop).get()
        #expect(literal == [try SocketAddress(ipAddress: "127.0.0.1", port: 1)])
    }
}

/// A backend with no health service at all: Watch and Check are UNIMPLEMENTED, and the
/// endpoint counts as healthy (as gRPC clients do) rather than being drained forever.
@Suite struct NoHealthServiceTests {
    @Test func serverWithoutHealthServiceStaysInThePool() async throws {
        var router = Router()
        router.unary(TestMethods.unary) { (request: Halo_Testing_V1_EchoRequest, _) -> Halo_Testing_V1_EchoResponse in
            .with { $0.message = request.message }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = Server(
            configuration: Server.Configuration(), router: router, group: group, logger: Logger(label: "test"))
        let address = try await server.start()
        var configuration = ClusterConfiguration(
            name: "no-health", endpoints: [.init(host: "127.0.0.1", port: address.port!)])
        configuration.healthCheck?.interval = .milliseconds(20)
        configuration.healthCheck?.unhealthyThreshold = 1
        let cluster = Cluster(configuration: configuration, group: group, logger: Logger(label: "test"))
        try await cluster.start()
        try await waitUntil("the endpoint is healthy") {
            await cluster.snapshot().loops[0].endpoints.first?.health == .healthy
        }
        let result = await cluster.result(TestMethods.unary, TestMethods.echo())
        guard case .success = result else {
            Issue.record("the call fails: \(result)")
            return
        }
        await cluster.shutDown()
        await server.shutdownGracefully()
        try await group.shutdownGracefully()
    }
}
