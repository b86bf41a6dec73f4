import EngagementService
import Foundation
import HealthProtos
import Logging
import NIOCore
import Protos
import RPC
import Redis
import ServiceSupport
import SwiftProtobuf
import Upstream

/// An engagement service running in this process on a free port, with a client to it.
final class EngagementHarness: Sendable {
    typealias Service = EngagementService.Methods

    let instance: EngagementServiceApp.Instance
    let client: ClientConnection
    let clock: TestClock
    private let running: Task<Void, any Error>

    private init(instance: EngagementServiceApp.Instance, client: ClientConnection, clock: TestClock) {
        self.instance = instance
        self.client = client
        self.clock = clock
        self.running = Task { try await instance.run() }
    }

    /// The configuration tests start from: the given Redis and video service, limits for a loaded machine.
    static func configuration(redisURL: String, videoPort: Int) -> EngagementConfiguration {
        var configuration = EngagementServiceApp.defaults
        configuration.service.listen.port = 0
        configuration.service.shutdown.drainTimeout = .seconds(2)
        configuration.redis.url = redisURL
        configuration.redis.connectTimeout = .seconds(2)
        configuration.redis.commandTimeout = .seconds(5)
        configuration.redis.waitTimeout = .seconds(5)
        configuration.redis.probeInterval = .milliseconds(200)
        configuration.redis.probeTimeout = .seconds(2)
        configuration.videos.cluster.endpoints = [.init(host: "127.0.0.1", port: videoPort)]
        // The service's 1 s connect timeout fails a call at once when it passes (the connection is
        // in transient failure until it reconnects); on a machine running every suite at once, the
        // first connection and health answer can take longer than that.
        configuration.videos.cluster.connectTimeout = .seconds(5)
        configuration.videos.cluster.healthCheck?.timeout = .seconds(5)
        configuration.videos.directory.timeout = .seconds(5)
        configuration.watch.reconnectCheckInterval = .milliseconds(100)
        return configuration
    }

    /// Starts a service with `configuration` and the test's clock.
    static func start(
        _ configuration: EngagementConfiguration, clock: TestClock = TestClock()
    ) async throws
        -> EngagementHarness
    {
        let instance = try EngagementServiceApp.Instance(
            configuration: configuration, logger: .quiet, now: { clock.now() }, handleSignals: false)
        let address = try await instance.start()
        guard let port = address.port else { throw TestEnvironment.SetupError(description: "no port") }
        return EngagementHarness(
            instance: instance, client: ClientConnection(host: "127.0.0.1", port: port), clock: clock)
    }

    /// The real video service and an engagement service against the shared Redis, for `body`.
    static func with(
        clock: TestClock = TestClock(), _ body: (EngagementHarness, VideoBackend) async throws -> Void
    ) async throws {
        let redisURL = try TestEnvironment.redisURL()
        try await VideoBackend.with { videos in
            let harness = try await Self.start(
                Self.configuration(redisURL: redisURL, videoPort: videos.port), clock: clock)
            do {
                try await body(harness, videos)
            } catch {
                await harness.stop()
                throw error
            }
            await harness.stop()
        }
    }

    /// Shuts the service down gracefully and waits for it.
    func stop() async {
        await self.client.close()
        await self.instance.shutDownGracefully()
        _ = try? await self.running.value
    }

    // MARK: Calls

    /// Identity metadata as the gateway sends it.
    static func identity(_ user: UUID?, adult: Bool = false) -> Metadata {
        var metadata = Metadata()
        if let user {
            metadata.add("x-halo-user-id", user.uuidString.lowercased())
            metadata.add("x-halo-adult", adult ? "true" : "false")
        }
        return metadata
    }

    func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: MethodDescriptor, _ request: Request, as: Response.Type = Response.self, user: UUID? = nil,
        adult: Bool = false
    ) async throws -> Response {
        try await self.client.unary(
            method, request, as: Response.self,
            options: CallOptions(timeout: .seconds(20), metadata: Self.identity(user, adult: adult)))
    }

    func like(_ videoID: String, as user: UUID?) async throws -> Int64 {
        try await self.call(
            Service.like, Halo_Engagement_V1_LikeRequest.with { $0.videoID = videoID },
            as: Halo_Engagement_V1_MetricValue.self, user: user
        ).value
    }

    func unlike(_ videoID: String, as user: UUID?) async throws -> Int64 {
        try await self.call(
            Service.unlike, Halo_Engagement_V1_UnlikeRequest.with { $0.videoID = videoID },
            as: Halo_Engagement_V1_MetricValue.self, user: user
        ).value
    }

    /// Increments as `user`: a new signed-in user each call unless one is named (nil is anonymous).
    func increment(
        _ videoID: String, _ metric: Halo_Engagement_V1_Metric, as user: UUID? = UUID()
    ) async throws -> Int64 {
        try await self.call(
            Service.increment,
            Halo_Engagement_V1_IncrementRequest.with {
                $0.videoID = videoID
                $0.metric = metric
            }, as: Halo_Engagement_V1_MetricValue.self, user: user
        ).value
    }

    func heartbeat(_ videoID: String, as user: UUID? = nil, session: String = "") async throws -> Int64 {
        try await self.call(
            Service.heartbeat,
            Halo_Engagement_V1_HeartbeatRequest.with {
                $0.videoID = videoID
                $0.sessionID = session
            }, as: Halo_Engagement_V1_HeartbeatResponse.self, user: user
        ).liveViewers
    }

    func counts(_ videoID: String, as user: UUID? = nil, adult: Bool = false) async throws -> Halo_Engagement_V1_Counts
    {
        try await self.call(
            Service.getCounts, Halo_Engagement_V1_GetCountsRequest.with { $0.videoID = videoID },
            as: Halo_Engagement_V1_Counts.self, user: user, adult: adult)
    }

    func health(
        _ service: String = EngagementService.name
    ) async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        try await self.client.unary(
            HealthService.check, Grpc_Health_V1_HealthCheckRequest.with { $0.service = service },
            as: Grpc_Health_V1_HealthCheckResponse.self, options: CallOptions(timeout: .seconds(10))
        ).status
    }

    /// Whether Redis holds any key of `videoID`.
    static func storedKeys(_ videoID: String) async throws -> Int64 {
        let redis = try await TestEnvironment.redis()
        defer { redis.close() }
        let keys = EngagementKeys(videoID: videoID)
        let reply = try await redis.send(
            RedisCommand("EXISTS", arguments: [.string(keys.counters), .string(keys.likes), .string(keys.viewers)]))
        return reply.int ?? -1
    }
}
