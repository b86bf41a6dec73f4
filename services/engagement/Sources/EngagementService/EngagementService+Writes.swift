import CallerIdentity
import Foundation
import Protos
import RPC
import ServiceSupport
import SwiftProtobuf

extension EngagementService {
    func increment(
        _ request: Halo_Engagement_V1_IncrementRequest, context: ServerContext
    ) async throws -> Halo_Engagement_V1_MetricValue {
        let identity = try Identity(metadata: context.metadata)
        _ = try identity.requireUser()
        let videoID = try EngagementLimits.videoID(request.videoID)
        let change: EngagementChange
        switch request.metric {
        case .views: change = .view
        case .comments: change = .comment
        case .likes:
            throw EngagementLimits.invalid("metric", "metric likes goes through Like and Unlike")
        default:
            throw EngagementLimits.invalid("metric", "metric must be views or comments")
        }
        try await self.videos.requireVisible(videoID, to: identity, context: context)
        let result = try await self.stored("increment") {
            try await self.store.apply(change, to: videoID, at: self.now())
        }
        return .with {
            $0.videoID = videoID
            $0.metric = request.metric
            $0.value = change == .view ? result.counts.views : result.counts.comments
        }
    }

    func like(
        _ request: Halo_Engagement_V1_LikeRequest, context: ServerContext
    ) async throws -> Halo_Engagement_V1_MetricValue {
        try await self.setLike(request.videoID, liked: true, context: context)
    }

    func unlike(
        _ request: Halo_Engagement_V1_UnlikeRequest, context: ServerContext
    ) async throws -> Halo_Engagement_V1_MetricValue {
        try await self.setLike(request.videoID, liked: false, context: context)
    }

    private func setLike(
        _ videoIDText: String, liked: Bool, context: ServerContext
    ) async throws -> Halo_Engagement_V1_MetricValue {
        let identity = try Identity(metadata: context.metadata)
        let user = try identity.requireUser().lowercasedString
        let videoID = try EngagementLimits.videoID(videoIDText)
        try await self.videos.requireVisible(videoID, to: identity, context: context)
        let change: EngagementChange = liked ? .like(user: user) : .unlike(user: user)
        let result = try await self.stored(change.event) {
            try await self.store.apply(change, to: videoID, at: self.now())
        }
        return .with {
            $0.videoID = videoID
            $0.metric = .likes
            $0.value = result.counts.likes
        }
    }

    func heartbeat(
        _ request: Halo_Engagement_V1_HeartbeatRequest, context: ServerContext
    ) async throws -> Halo_Engagement_V1_HeartbeatResponse {
        let identity = try Identity(metadata: context.metadata)
        let videoID = try EngagementLimits.videoID(request.videoID)
        let viewer: String
        if let user = identity.userID {
            viewer = user.lowercasedString
        } else {
            viewer = "anon:" + (try EngagementLimits.sessionID(request.sessionID))
        }
        try await self.videos.requireVisible(videoID, to: identity, context: context)
        let result = try await self.stored("heartbeat") {
            try await self.store.apply(.heartbeat(viewer: viewer), to: videoID, at: self.now())
        }
        return .with {
            $0.videoID = videoID
            $0.liveViewers = result.counts.liveViewers
        }
    }
}
