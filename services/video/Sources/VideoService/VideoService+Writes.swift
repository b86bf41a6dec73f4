import CallerIdentity
import Foundation
import Logging
package import Protos
package import RPC
import ServiceSupport
import SwiftProtobuf

extension VideoService {
    /// CreateVideo: owned by the caller (UNAUTHENTICATED without one), every field checked.
    package func createVideo(
        _ request: Halo_Video_V1_CreateVideoRequest, context: ServerContext
    ) async throws
        -> Halo_Video_V1_Video
    {
        let owner = try Identity(metadata: context.metadata).requireUser()
        var violations = FieldViolations()
        violations.text(request.title, field: "title", length: VideoLimits.titleLength)
        violations.text(
            request.description_p, field: "description", length: 0...VideoLimits.descriptionMaxLength,
            multiline: true)
        violations.url(request.thumbnailURL, field: "thumbnail_url")
        violations.url(request.streamURL, field: "stream_url")
        violations.duration(request.durationSeconds)
        let tags = violations.tags(request.tags)
        try violations.check()

        let now = self.now()
        let stamp = now.microsecondsSince1970
        let video = VideoRecord(
            id: UUIDv7.make(now: now), ownerID: owner, title: request.title, description: request.description_p,
            thumbnailURL: request.thumbnailURL, streamURL: request.streamURL,
            durationSeconds: request.durationSeconds, isLive: request.isLive, isAdult: request.isAdult, tags: tags,
            createdAt: stamp, updatedAt: stamp)
        try await self.stored("create") { try await self.store.insert(video) }
        self.logger.debug("video created", metadata: ["video_id": "\(video.id.lowercasedString)"])
        return video.proto
    }

    /// UpdateVideo: only the fields present change; owner or admin only.
    package func updateVideo(
        _ request: Halo_Video_V1_UpdateVideoRequest, context: ServerContext
    ) async throws
        -> Halo_Video_V1_Video
    {
        let identity = try Identity(metadata: context.metadata)
        _ = try identity.requireUser()
        var violations = FieldViolations()
        let id = violations.uuid(request.id, field: "id")
        let changes = Self.changes(from: request, violations: &violations)
        try violations.check()
        guard let id else { throw Self.notFound }

        let video = try await self.authorize(id: id, identity: identity)
        guard !changes.isEmpty else { return video.proto }
        let stamp = max(self.now().microsecondsSince1970, video.createdAt)
        guard
            let updated = try await self.stored(
                "update",
                {
                    try await self.store.update(id: id, changes: changes, updatedAt: stamp)
                })
        else { throw Self.notFound }
        return updated.proto
    }

    /// DeleteVideo: owner or admin only; NOT_FOUND once gone.
    package func deleteVideo(
        _ request: Halo_Video_V1_DeleteVideoRequest, context: ServerContext
    ) async throws
        -> Halo_Video_V1_DeleteVideoResponse
    {
        let identity = try Identity(metadata: context.metadata)
        _ = try identity.requireUser()
        var violations = FieldViolations()
        let id = violations.uuid(request.id, field: "id")
        try violations.check()
        guard let id else { throw Self.notFound }

        _ = try await self.authorize(id: id, identity: identity)
        guard try await self.stored("delete", { try await self.store.delete(id: id) }) else { throw Self.notFound }
        return .init()
    }

    /// The video, if the caller may change it: NOT_FOUND when it does not exist or is hidden from
    /// a caller who could not change it anyway; PERMISSION_DENIED when visible but not theirs.
    private func authorize(id: UUID, identity: Identity) async throws -> VideoRecord {
        guard let video = try await self.stored("get", { try await self.store.video(id: id) }) else {
            throw Self.notFound
        }
        guard identity.mayModify(ownedBy: video.ownerID) else {
            guard Self.isVisible(video, to: identity) else { throw Self.notFound }
            throw RPCError(code: .permissionDenied, message: "only the owner or an admin may change this video")
        }
        return video
    }

    /// The checked changes of an update.
    static func changes(
        from request: Halo_Video_V1_UpdateVideoRequest, violations: inout FieldViolations
    )
        -> VideoChanges
    {
        var changes = VideoChanges()
        if request.hasTitle {
            violations.text(request.title, field: "title", length: VideoLimits.titleLength)
            changes.title = request.title
        }
        if request.hasDescription_p {
            violations.text(
                request.description_p, field: "description", length: 0...VideoLimits.descriptionMaxLength,
                multiline: true)
            changes.description = request.description_p
        }
        if request.hasThumbnailURL {
            violations.url(request.thumbnailURL, field: "thumbnail_url")
            changes.thumbnailURL = request.thumbnailURL
        }
        if request.hasStreamURL {
            violations.url(request.streamURL, field: "stream_url")
            changes.streamURL = request.streamURL
        }
        if request.hasDurationSeconds {
            violations.duration(request.durationSeconds)
            changes.durationSeconds = request.durationSeconds
        }
        if request.hasIsLive { changes.isLive = request.isLive }
        if request.hasIsAdult { changes.isAdult = request.isAdult }
        if request.hasTags {
            var strings: [String] = []
            var allStrings = true
            for (index, value) in request.tags.values.enumerated() {
                guard case .stringValue(let tag) = value.kind else {
                    violations.add("tags[\(index)]", "must be a string")
                    allStrings = false
                    continue
                }
                strings.append(tag)
            }
            if allStrings { changes.tags = violations.tags(strings) }
        }
        return changes
    }
}
