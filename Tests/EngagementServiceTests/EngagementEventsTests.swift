import EngagementService
import Foundation
import NIOCore
import NIOPosix
import Protos
import RPC
import Redis
import SwiftProtobuf
import Testing

/// WatchCounts and the pub/sub events behind it.
@Suite struct EngagementEventsTests {
    @Test func watchCountsSendsCurrentCountsThenUpdates() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let video = try await videos.create()
            let other = try await videos.create()
            _ = try await engagement.increment(video, .views)
            let user = UUID()
            try await engagement.client.serverStreaming(
                EngagementService.Methods.watchCounts,
                Halo_Engagement_V1_WatchCountsRequest.with { $0.videoIds = [video, other, video] },
                as: Halo_Engagement_V1_CountsUpdate.self, options: CallOptions(timeout: .seconds(30))
            ) { updates in
                var iterator = updates.makeAsyncIterator()
                let first = try #require(try await iterator.next())
                #expect(first.videoID == video)
                #expect(first.counts.views == 1)
                #expect(first.counts.likes == 0)
                let second = try #require(try await iterator.next())
                #expect(second.videoID == other)
                #expect(second.counts == Halo_Engagement_V1_Counts())

                _ = try await engagement.like(video, as: user)
                let liked = try #require(try await iterator.next())
                #expect(liked.videoID == video)
                #expect(liked.counts.likes == 1)
                #expect(liked.counts.views == 1)
                #expect(liked.counts.liked == false)

                // A repeated like changes nothing and sends nothing; the next change comes next.
                _ = try await engagement.like(video, as: user)
                _ = try await engagement.heartbeat(other, session: "s")
                let watched = try #require(try await iterator.next())
                #expect(watched.videoID == other)
                #expect(watched.counts.liveViewers == 1)
            }
            try await TestEnvironment.waitUntil("the watch is removed") { engagement.instance.hub.watcherCount == 0 }
        }
    }

    @Test func watchCountsValidatesItsIDs() async throws {
        try await EngagementHarness.with { engagement, _ async throws in
            for ids in [[], ["nope"], (0..<101).map { _ in UUID().uuidString }] {
                let error = await #expect(throws: RPCError.self) {
                    try await engagement.client.serverStreaming(
                        EngagementService.Methods.watchCounts,
                        Halo_Engagement_V1_WatchCountsRequest.with { $0.videoIds = ids },
                        as: Halo_Engagement_V1_CountsUpdate.self, options: CallOptions(timeout: .seconds(10))
                    ) { updates in
                        for try await _ in updates {}
                    }
                }
                #expect(error?.code == .invalidArgument)
            }
        }
    }

    @Test func changesArePublishedAsDocumentedJSON() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        try await EngagementHarness.with(clock: clock) { engagement, videos async throws in
            let video = try await videos.create()
            let subscriber = RedisSubscriber(
                configuration: RedisSubscriber.Configuration(
                    connection: try RedisConnection.Configuration(url: try TestEnvironment.redisURL())),
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: .quiet)
            let running = Task { await subscriber.run() }
            defer {
                subscriber.close()
                running.cancel()
            }
            let channel = "halo:engagement:video:\(video)"
            try await TestEnvironment.eventually { try await subscriber.subscribe([channel]) }

            _ = try await engagement.increment(video, .views)
            _ = try await engagement.like(video, as: UUID())
            var messages = subscriber.messages.makeAsyncIterator()
            let first = try #require(await messages.next())
            #expect(first.channel == channel)
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(first.payload.readableBytesView)) as? [String: Any])
            #expect(json["type"] as? String == "counts")
            #expect(json["video_id"] as? String == video)
            #expect(json["event"] as? String == "views")
            #expect(json["seq"] as? Int == 1)
            #expect(json["at"] as? Int == 1_800_000_000_000)
            let counts = try #require(json["counts"] as? [String: Any])
            #expect(counts["views"] as? Int == 1)
            #expect(counts["likes"] as? Int == 0)
            #expect(counts["comments"] as? Int == 0)
            #expect(counts["live_viewers"] as? Int == 0)

            let second = try #require(await messages.next())
            let event = try #require(CountsEvent(payload: second.payload.readableBytesView))
            #expect(
                event
                    == CountsEvent(
                        videoID: video, event: "like", seq: 2, at: 1_800_000_000_000,
                        counts: .init(views: 1, likes: 1, comments: 0, liveViewers: 0)))
        }
    }
}
