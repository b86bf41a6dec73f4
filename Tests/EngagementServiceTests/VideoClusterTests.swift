import EngagementService
import Foundation
import Protos
import RPC
import ServiceSupport
import Testing
import Upstream

/// Engagement's calls to the video service go through an Upstream cluster: configured from the
/// environment, spread over replicas, and a replica that goes away costs no call.
@Suite struct VideoClusterTests {
    @Test func theEnvironmentConfiguresTheVideoCluster() throws {
        let defaults = try EngagementConfiguration.fromEnvironment(EngagementServiceApp.defaults, environment: [:])
        #expect(defaults.videos.cluster.endpoints == [.init(host: "127.0.0.1", port: 50052)])
        #expect(defaults.videos.clusterConfiguration.defaultTimeout == .seconds(1))
        #expect(defaults.videos.cluster.healthCheck?.service == "halo.video.v1.VideoService")

        let configuration = try EngagementConfiguration.fromEnvironment(
            EngagementServiceApp.defaults,
            environment: [
                "HALO_ENGAGEMENT_VIDEO_ADDRESS": "video-a:50052,[::1]:7000,10.0.0.3:50052",
                "HALO_ENGAGEMENT_VIDEO_TIMEOUT_MS": "250", "HALO_ENGAGEMENT_VIDEO_CACHE_MS": "0",
                "HALO_ENGAGEMENT_VIDEO_CONNECTIONS": "2", "HALO_ENGAGEMENT_VIDEO_HEALTH_SERVICE": "none",
            ])
        let videos = configuration.videos
        #expect(
            videos.cluster.endpoints == [
                .init(host: "video-a", port: 50052), .init(host: "::1", port: 7000),
                .init(host: "10.0.0.3", port: 50052),
            ])
        #expect(videos.directory.timeout == .milliseconds(250))
        #expect(videos.clusterConfiguration.defaultTimeout == .milliseconds(250), "every call's deadline")
        #expect(videos.directory.cacheTTL == .zero)
        #expect(videos.cluster.connectionsPerEndpoint == 2)
        #expect(videos.cluster.healthCheck == nil)
    }

    @Test(arguments: [
        ("HALO_ENGAGEMENT_VIDEO_ADDRESS", "video:50052,"), ("HALO_ENGAGEMENT_VIDEO_ADDRESS", "video"),
        ("HALO_ENGAGEMENT_VIDEO_ADDRESS", "video:0"), ("HALO_ENGAGEMENT_VIDEO_TIMEOUT_MS", "0"),
        ("HALO_ENGAGEMENT_VIDEO_CACHE_MS", "1001"), ("HALO_ENGAGEMENT_VIDEO_CONNECTIONS", "x"),
        ("HALO_ENGAGEMENT_VIDEO_HEALTH_SERVICE", "a b"),
    ])
    func aBadValueIsRefusedByName(key: String, value: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try EngagementConfiguration.fromEnvironment(EngagementServiceApp.defaults, environment: [key: value])
        }
        #expect(error?.key == key)
    }

    @Test func aVideoReplicaStoppingCostsNoCall() async throws {
        let redisURL = try TestEnvironment.redisURL()
        try await VideoBackend.with(replicas: 2) { videos in
            var configuration = EngagementHarness.configuration(redisURL: redisURL, videoPort: videos.port)
            configuration.videos.cluster.endpoints = videos.ports.map { .init(host: "127.0.0.1", port: $0) }
            // Every write asks the video service.
            configuration.videos.directory.cacheTTL = .zero
            let engagement = try await EngagementHarness.start(configuration)
            do {
                let video = try await videos.create()
                let likes = try await Self.likeConcurrently(video, engagement, count: 20)
                #expect(likes == 20)
                // Calls in flight while it drains, and every call after, are served by the other replica.
                async let during = Self.likeConcurrently(video, engagement, count: 40)
                await videos.stop(replica: 0)
                #expect(try await during == 40)
                let started = ContinuousClock.now
                #expect(try await Self.likeConcurrently(video, engagement, count: 20) == 20)
                #expect(ContinuousClock.now - started < .seconds(5), "no call waits on the stopped replica")
                #expect(try await engagement.counts(video).likes == 80)
            } catch {
                await engagement.stop()
                throw error
            }
            await engagement.stop()
        }
    }

    /// `count` likes by new users at once; returns how many succeeded (a failure throws).
    private static func likeConcurrently(
        _ video: String, _ engagement: EngagementHarness, count: Int
    ) async throws
        -> Int
    {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                group.addTask { _ = try await engagement.like(video, as: UUID()) }
            }
            var succeeded = 0
            for try await _ in group { succeeded += 1 }
            return succeeded
        }
    }
}
