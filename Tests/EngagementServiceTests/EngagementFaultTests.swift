import EngagementService
import Foundation
import HealthProtos
import Protos
import RPC
import RedisTesting
import SwiftProtobuf
import Testing

/// Faults: the video service or Redis gone, and coming back.
@Suite struct EngagementFaultTests {
    @Test func videoServiceDownIsUnavailableAndNothingIsWritten() async throws {
        let redisURL = try TestEnvironment.redisURL()
        try await VideoBackend.with { videos in
            let video = try await videos.create()
            await videos.stop()  // Its port now refuses connections.
            var configuration = EngagementHarness.configuration(redisURL: redisURL, videoPort: videos.port)
            configuration.videos.directory.timeout = .seconds(2)
            let engagement = try await EngagementHarness.start(configuration)
            do {
                let calls: [@Sendable () async throws -> Void] = [
                    { _ = try await engagement.like(video, as: UUID()) },
                    { _ = try await engagement.increment(video, .views) },
                    { _ = try await engagement.heartbeat(video, session: "s") },
                ]
                for call in calls {
                    let started = ContinuousClock.now
                    let error = await #expect(throws: RPCError.self) { try await call() }
                    #expect(error?.code == .unavailable)
                    #expect(ContinuousClock.now - started < .seconds(5))
                }
                #expect(try await EngagementHarness.storedKeys(video) == 0)
                // The service itself stays healthy: its store is Redis.
                #expect(try await engagement.health() == .serving)
            } catch {
                await engagement.stop()
                throw error
            }
            await engagement.stop()
        }
    }

    @Test func aVideoServiceThatNeverAnswersTimesOut() async throws {
        // A listener that accepts and never speaks HTTP/2.
        let silent = try await SilentListener.start()
        var configuration = EngagementHarness.configuration(
            redisURL: try TestEnvironment.redisURL(), videoPort: silent.port)
        configuration.videos.directory.timeout = .milliseconds(500)
        let engagement = try await EngagementHarness.start(configuration)
        let video = UUID().uuidString.lowercased()
        let started = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) { try await engagement.like(video, as: UUID()) }
        #expect(error?.code == .unavailable)
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(try await EngagementHarness.storedKeys(video) == 0)
        await engagement.stop()
        await silent.close()
    }

    @Test func redisDownIsUnavailableFastThenRecoversWithoutRestart() async throws {
        let redis = try PrivateRedisServer()
        try await redis.start()
        try await VideoBackend.with { videos in
            try await Self.redisOutage(redis, videos)
        }
        await redis.stop()
    }

    private static func redisOutage(_ redis: PrivateRedisServer, _ videos: VideoBackend) async throws {
        var configuration = EngagementHarness.configuration(redisURL: redis.url, videoPort: videos.port)
        configuration.redis.commandTimeout = .seconds(1)
        configuration.redis.connectTimeout = .milliseconds(500)
        configuration.redis.waitTimeout = .seconds(1)
        configuration.redis.probeTimeout = .milliseconds(500)
        let engagement = try await EngagementHarness.start(configuration)
        do {
            let video = try await videos.create()
            let user = UUID()
            #expect(try await engagement.like(video, as: user) == 1)
            #expect(try await engagement.health() == .serving)

            try await engagement.client.serverStreaming(
                EngagementService.Methods.watchCounts,
                Halo_Engagement_V1_WatchCountsRequest.with { $0.videoIds = [video] },
                as: Halo_Engagement_V1_CountsUpdate.self, options: CallOptions(timeout: .seconds(60))
            ) { updates in
                var iterator = updates.makeAsyncIterator()
                #expect(try await iterator.next()?.counts.likes == 1)

                await redis.stop()
                for call: @Sendable () async throws -> Void in [
                    { _ = try await engagement.like(video, as: UUID()) },
                    { _ = try await engagement.increment(video, .views) },
                    { _ = try await engagement.counts(video) },
                ] {
                    let started = ContinuousClock.now
                    let error = await #expect(throws: RPCError.self) { try await call() }
                    #expect(error?.code == .unavailable)
                    #expect(ContinuousClock.now - started < .seconds(4))
                }
                try await TestEnvironment.waitUntil("health NOT_SERVING") {
                    let service = try await engagement.health()
                    let server = try await engagement.health("")
                    return service == .notServing && server == .notServing
                }

                // Back, on the same port, empty (no persistence): the service recovers by itself.
                try await redis.start()
                try await TestEnvironment.waitUntil("health SERVING", timeout: .seconds(30)) {
                    try await engagement.health() == .serving
                }
                // Redis came back empty: two new likes make 2, which the watch opened before the
                // outage must see (perhaps after the counts read again on reconnect).
                for _ in 0..<2 {
                    let liker = UUID()
                    _ = try await TestEnvironment.eventually(timeout: .seconds(30)) {
                        try await engagement.like(video, as: liker)
                    }
                }
                #expect(try await engagement.counts(video).likes == 2)
                var sawLike = false
                while !sawLike, let update = try await iterator.next() {
                    #expect(update.videoID == video)
                    sawLike = update.counts.likes == 2
                }
                #expect(sawLike)
            }
        } catch {
            await engagement.stop()
            throw error
        }
        await engagement.stop()
    }
}
