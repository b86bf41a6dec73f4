import CallerIdentity
import Foundation
package import Protos
package import RPC
import ServiceSupport
import SwiftProtobuf

extension VideoService {
    /// GetVideo: NOT_FOUND for unknown ids and for adult videos the caller may not see.
    package func getVideo(
        _ request: Halo_Video_V1_GetVideoRequest, context: ServerContext
    ) async throws
        -> Halo_Video_V1_Video
    {
        let identity = try Identity(metadata: context.metadata)
        var violations = FieldViolations()
        let id = violations.uuid(request.id, field: "id")
        try violations.check()
        guard let id, let video = try await self.stored("get", { try await self.store.video(id: id) }),
            Self.isVisible(video, to: identity)
        else { throw Self.notFound }
        return video.proto
    }

    /// ListVideos: newest first (id breaks ties), filtered by live and owner, adult videos only
    /// for adult callers; `next_offset` only when another page exists within the maximum offset.
    package func listVideos(
        _ request: Halo_Video_V1_ListVideosRequest, context: ServerContext
    ) async throws
        -> Halo_Video_V1_ListVideosResponse
    {
        let identity = try Identity(metadata: context.metadata)
        var violations = FieldViolations()
        // Absent means the default; a limit that is present (0 included) must be in range.
        let limit = request.hasLimit ? Int(request.limit) : VideoLimits.defaultPageSize
        if !VideoLimits.pageSize.contains(limit) {
            violations.add(
                "limit",
                "must be \(VideoLimits.pageSize.lowerBound) to \(VideoLimits.pageSize.upperBound) "
                    + "(absent means \(VideoLimits.defaultPageSize))")
        }
        let offset = Int(request.offset)
        if !(0...VideoLimits.maxOffset).contains(offset) {
            violations.add("offset", "must be 0 to \(VideoLimits.maxOffset)")
        }
        let owner = request.ownerID.isEmpty ? nil : violations.uuid(request.ownerID, field: "owner_id")
        try violations.check()

        // One more than a page tells whether another page exists.
        let query = VideoQuery(
            limit: limit + 1, offset: offset, live: request.hasLive ? request.live : nil, ownerID: owner,
            includeAdult: identity.isAdult)
        let videos = try await self.stored("list") { try await self.store.list(query) }
        return .with {
            $0.videos = videos.prefix(limit).map(\.proto)
            let next = offset + limit
            if videos.count > limit, next <= VideoLimits.maxOffset { $0.nextOffset = Int32(next) }
        }
    }

    /// BatchGetVideos: up to 100 ids, answered in request order, each once; unknown and hidden ones left out.
    package func batchGetVideos(
        _ request: Halo_Video_V1_BatchGetVideosRequest, context: ServerContext
    ) async throws
        -> Halo_Video_V1_BatchGetVideosResponse
    {
        let identity = try Identity(metadata: context.metadata)
        var violations = FieldViolations()
        guard request.ids.count <= VideoLimits.maxBatchIDs else {
            violations.add("ids", "must have at most \(VideoLimits.maxBatchIDs) ids")
            try violations.check()
            return .init()
        }
        var ids: [UUID] = []
        var seen = Set<UUID>()
        for (index, text) in request.ids.enumerated() {
            if let id = violations.uuid(text, field: "ids[\(index)]"), seen.insert(id).inserted { ids.append(id) }
        }
        try violations.check()
        let found = try await self.stored("batch get") { try await self.store.videos(ids: ids) }
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return .with {
            $0.videos = ids.compactMap { byID[$0] }.filter { Self.isVisible($0, to: identity) }.map(\.proto)
        }
    }

    /// Adult videos exist only for adult callers (adult and in adult mode, as the gateway says).
    static func isVisible(_ video: VideoRecord, to identity: Identity) -> Bool {
        !video.isAdult || identity.isAdult
    }

    /// The same answer for unknown and hidden videos.
    static var notFound: RPCError { RPCError(code: .notFound, message: "video not found") }
}
