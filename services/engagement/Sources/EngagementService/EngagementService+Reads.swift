import CallerIdentity
import Protos
import RPC
import ServiceSupport
import SwiftProtobuf

extension EngagementService {
    /// On the caller's executor (the connection's loop), like everything it awaits up to Redis.
    nonisolated(nonsending) func getCounts(
        _ request: Halo_Engagement_V1_GetCountsRequest, context: ServerContext
    ) async throws -> Halo_Engagement_V1_Counts {
        let identity = try Identity(metadata: context.metadata)
        let videoID = try EngagementLimits.videoID(request.videoID)
        try await self.videos.requireVisible(videoID, to: identity, context: context)
        let user = identity.userID?.lowercasedString
        let counts = try await self.stored("get counts") {
            try await self.store.counts(ofVideo: videoID, likedBy: user, at: self.now())
        }
        return Halo_Engagement_V1_Counts(counts)
    }

    /// Up to 100 videos: one call to the video service for the ones not cached, one Redis round trip.
    func batchGetCounts(
        _ request: Halo_Engagement_V1_BatchGetCountsRequest, context: ServerContext
    ) async throws -> Halo_Engagement_V1_BatchGetCountsResponse {
        let identity = try Identity(metadata: context.metadata)
        let user = identity.userID?.lowercasedString
        let videoIDs = try EngagementLimits.videoIDs(request.videoIds, minimum: 0)
        guard !videoIDs.isEmpty else { return Halo_Engagement_V1_BatchGetCountsResponse() }
        let visible = try await self.videos.visible(videoIDs, to: identity, context: context)
        let wanted = videoIDs.filter { visible.contains($0) }
        let counts = try await self.stored("batch get counts") {
            try await self.store.counts(of: wanted, likedBy: user, at: self.now())
        }
        return .with { response in
            for videoID in wanted {
                response.counts[videoID] = Halo_Engagement_V1_Counts(counts[videoID] ?? StoredCounts())
            }
        }
    }
}
