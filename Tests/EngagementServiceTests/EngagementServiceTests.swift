import CallerIdentity
import EngagementService
import Foundation
import Protos
import RPC
import SwiftProtobuf
import Testing

/// The RPCs against the shared Redis and the real video service (``VideoBackend``).
@Suite struct EngagementServiceTests {
    @Test func likesCountOncePerUserAndLikedIsPerCaller() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let video = try await videos.create()
            let alice = UUID()
            let bob = UUID()
            #expect(try await engagement.like(video, as: alice) == 1)
            #expect(try await engagement.like(video, as: alice) == 1)
            #expect(try await engagement.like(video, as: bob) == 2)
            #expect(try await engagement.counts(video, as: alice).liked)
            #expect(try await engagement.counts(video, as: UUID()).liked == false)
            #expect(try await engagement.counts(video).liked == false)
            #expect(try await engagement.counts(video).likes == 2)

            #expect(try await engagement.unlike(video, as: alice) == 1)
            #expect(try await engagement.unlike(video, as: alice) == 1)
            #expect(try await engagement.counts(video, as: alice).liked == false)
            #expect(try await engagement.counts(video, as: bob).liked)
            #expect(try await engagement.unlike(video, as: bob) == 0)
        }
    }

    @Test func likeNeedsAUser() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let video = try await videos.create()
            let like = await #expect(throws: RPCError.self) { try await engagement.like(video, as: nil) }
            #expect(like?.code == .unauthenticated)
            let unlike = await #expect(throws: RPCError.self) { try await engagement.unlike(video, as: nil) }
            #expect(unlike?.code == .unauthenticated)
        }
    }

    @Test func incrementNeedsAUserAndCountsNothingWithout() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let video = try await videos.create()
            for metric in [Halo_Engagement_V1_Metric.views, .comments] {
                let error = await #expect(throws: RPCError.self) {
                    try await engagement.increment(video, metric, as: nil)
                }
                #expect(error?.code == .unauthenticated)
            }
            let counts = try await engagement.counts(video)
            #expect(counts.views == 0 && counts.comments == 0)
        }
    }

    @Test func incrementsCountViewsAndComments() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let video = try await videos.create()
            #expect(try await engagement.increment(video, .views) == 1)
            #expect(try await engagement.increment(video, .views, as: UUID()) == 2)
            #expect(try await engagement.increment(video, .comments, as: UUID()) == 1)
            let counts = try await engagement.counts(video)
            #expect(counts.views == 2)
            #expect(counts.comments == 1)
            #expect(counts.likes == 0)
            #expect(counts.liveViewers == 0)

            for metric in [Halo_Engagement_V1_Metric.likes, .unspecified, .UNRECOGNIZED(9)] {
                let error = await #expect(throws: RPCError.self) { try await engagement.increment(video, metric) }
                #expect(error?.code == .invalidArgument)
            }
            #expect(try await engagement.counts(video).views == 2)
        }
    }

    @Test(arguments: ["", "not-a-uuid", "' OR '1'='1", "0190d5c4-0000-7000-8000-00000000000", "../../admin"])
    func malformedVideoIDsAreInvalid(_ id: String) async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let calls: [@Sendable () async throws -> Void] = [
                { _ = try await engagement.like(id, as: UUID()) },
                { _ = try await engagement.increment(id, .views) },
                { _ = try await engagement.heartbeat(id, session: "s1") },
                { _ = try await engagement.counts(id) },
            ]
            for call in calls {
                let error = await #expect(throws: RPCError.self) { try await call() }
                #expect(error?.code == .invalidArgument)
            }
        }
    }

    @Test func presenceExpiresAfterSixtySeconds() async throws {
        let clock = TestClock()
        try await EngagementHarness.with(clock: clock) { engagement, videos async throws in
            let video = try await videos.create()
            let viewer = UUID()
            #expect(try await engagement.heartbeat(video, as: viewer) == 1)
            #expect(try await engagement.heartbeat(video, as: viewer) == 1)
            #expect(try await engagement.counts(video).liveViewers == 1)

            clock.advance(by: 59)
            #expect(try await engagement.counts(video).liveViewers == 1)
            #expect(try await engagement.heartbeat(video, session: "late-comer") == 2)

            clock.advance(by: 2)  // t+61: the first viewer is gone, the late comer (t+59) is not.
            #expect(try await engagement.counts(video).liveViewers == 1)
            clock.advance(by: 58)  // t+119: the late comer's heartbeat is 60 s old.
            #expect(try await engagement.counts(video).liveViewers == 0)
            #expect(try await engagement.heartbeat(video, as: viewer) == 1)
        }
    }

    @Test func anonymousHeartbeatsCountPerSession() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let video = try await videos.create()
            #expect(try await engagement.heartbeat(video, session: "session-a") == 1)
            #expect(try await engagement.heartbeat(video, session: "session-a") == 1)
            #expect(try await engagement.heartbeat(video, session: "session_B-2") == 2)
            // An authenticated caller counts as its user; its session id is ignored.
            let user = UUID()
            #expect(try await engagement.heartbeat(video, as: user, session: "session-a") == 3)
            #expect(try await engagement.heartbeat(video, as: user, session: "") == 3)

            for session in ["", "has space", "ümlaut", String(repeating: "x", count: 65), "anon:x"] {
                let error = await #expect(throws: RPCError.self) {
                    try await engagement.heartbeat(video, session: session)
                }
                #expect(error?.code == .invalidArgument, "session \(session)")
            }
            #expect(try await engagement.counts(video).liveViewers == 3)
        }
    }

    @Test func batchReadsAnswerEveryVisibleVideo() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let quiet = try await videos.create()
            let liked = try await videos.create()
            let watched = try await videos.create()
            let unknown = UUID().uuidString.lowercased()
            let user = UUID()
            _ = try await engagement.like(liked, as: user)
            _ = try await engagement.increment(liked, .views)
            _ = try await engagement.heartbeat(watched, session: "s")
            _ = try await engagement.increment(watched, .comments)

            let response = try await engagement.call(
                EngagementService.Methods.batchGetCounts,
                Halo_Engagement_V1_BatchGetCountsRequest.with {
                    $0.videoIds = [quiet, liked.uppercased(), watched, unknown, liked]
                }, as: Halo_Engagement_V1_BatchGetCountsResponse.self, user: user)
            #expect(Set(response.counts.keys) == [quiet, liked, watched])
            #expect(response.counts[quiet] == Halo_Engagement_V1_Counts())
            #expect(response.counts[liked]?.likes == 1)
            #expect(response.counts[liked]?.views == 1)
            #expect(response.counts[liked]?.liked == true)
            #expect(response.counts[watched]?.liveViewers == 1)
            #expect(response.counts[watched]?.comments == 1)
            #expect(response.counts[watched]?.liked == false)

            let empty = try await engagement.call(
                EngagementService.Methods.batchGetCounts, Halo_Engagement_V1_BatchGetCountsRequest(),
                as: Halo_Engagement_V1_BatchGetCountsResponse.self)
            #expect(empty.counts.isEmpty)
        }
    }

    @Test func batchReadsAreBounded() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let tooMany = (0..<101).map { _ in UUID().uuidString }
            let error = await #expect(throws: RPCError.self) {
                try await engagement.call(
                    EngagementService.Methods.batchGetCounts,
                    Halo_Engagement_V1_BatchGetCountsRequest.with { $0.videoIds = tooMany },
                    as: Halo_Engagement_V1_BatchGetCountsResponse.self)
            }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test func unknownVideosAreNotFoundAndNothingIsWritten() async throws {
        try await EngagementHarness.with { engagement, _ async throws in
            let unknown = UUID().uuidString.lowercased()
            let calls: [@Sendable () async throws -> Void] = [
                { _ = try await engagement.like(unknown, as: UUID()) },
                { _ = try await engagement.unlike(unknown, as: UUID()) },
                { _ = try await engagement.increment(unknown, .views) },
                { _ = try await engagement.heartbeat(unknown, session: "s") },
                { _ = try await engagement.counts(unknown) },
            ]
            for call in calls {
                let error = await #expect(throws: RPCError.self) { try await call() }
                #expect(error?.code == .notFound)
            }
            #expect(try await EngagementHarness.storedKeys(unknown) == 0)
        }
    }

    @Test func adultVideosFollowTheCallersIdentity() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let video = try await videos.create(adult: true)
            let adult = UUID()
            // The adult's success is cached; a minor must still get NOT_FOUND, not the cache's answer.
            _ = try await engagement.call(
                EngagementService.Methods.like, Halo_Engagement_V1_LikeRequest.with { $0.videoID = video },
                as: Halo_Engagement_V1_MetricValue.self, user: adult, adult: true)
            let minor = await #expect(throws: RPCError.self) { try await engagement.like(video, as: UUID()) }
            #expect(minor?.code == .notFound)
            let anonymous = await #expect(throws: RPCError.self) { try await engagement.counts(video) }
            #expect(anonymous?.code == .notFound)
            #expect(try await engagement.counts(video, as: adult, adult: true).likes == 1)
        }
    }

    @Test func aDeletedVideoStopsTakingWritesWithinASecond() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let video = try await videos.create()
            let user = UUID()
            // The same caller twice: the second write may be answered from the cache.
            #expect(try await engagement.increment(video, .views, as: user) == 1)
            #expect(try await engagement.increment(video, .views, as: user) == 2)

            try await videos.delete(video)
            let deleted = ContinuousClock.now
            var accepted = 0
            var refusal: RPCError?
            while refusal == nil, ContinuousClock.now - deleted < .seconds(3) {
                do {
                    _ = try await engagement.increment(video, .views, as: user)
                    accepted += 1
                    try await Task.sleep(for: .milliseconds(20))
                } catch let error as RPCError {
                    refusal = error
                }
            }
            #expect(refusal?.code == .notFound)
            #expect(ContinuousClock.now - deleted < .seconds(1), "writes accepted after the delete: \(accepted)")
        }
    }

    @Test func unknownVideosAreNeverCached() async throws {
        try await EngagementHarness.with { engagement, videos async throws in
            let unknown = UUID().uuidString.lowercased()
            let user = UUID()
            let notFound = await #expect(throws: RPCError.self) {
                try await engagement.increment(unknown, .views, as: user)
            }
            #expect(notFound?.code == .notFound)

            await videos.stop()
            // Not found a moment ago: asked again, and now nobody answers.
            let unavailable = await #expect(throws: RPCError.self) {
                try await engagement.increment(unknown, .views, as: user)
            }
            #expect(unavailable?.code == .unavailable)
        }
    }
}
