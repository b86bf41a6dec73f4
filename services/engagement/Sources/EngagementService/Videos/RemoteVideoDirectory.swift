package import CallerIdentity
package import Logging
import NIOCore
import Protos
package import RPC
import SwiftProtobuf
package import Upstream

/// ``VideoDirectory`` over gRPC through an Upstream cluster of video service replicas:
/// VideoService.GetVideo (one id) or BatchGetVideos (several), with the caller's identity metadata
/// forwarded so that adult-visibility rules apply, and a short positive cache per caller identity
/// (``VideoCache``: at most a second, never shared between identities).
///
/// The cluster balances round-robin over healthy replicas, ejects failing ones, opens its breaker
/// when the video service keeps failing (fast UNAVAILABLE, no call), and retries both methods (they
/// only read) inside the deadline. Each call's deadline is `timeout` or the caller's, whichever comes
/// first, including any wait for a connection. The video service's NOT_FOUND passes through; a video
/// service that cannot be reached, times out, or fails answers UNAVAILABLE, so the caller's write is
/// not applied.
package struct RemoteVideoDirectory: VideoDirectory {
    package struct Configuration: Sendable {
        /// Longest wait for the video service.
        package var timeout: Duration = .seconds(1)
        /// How long a found video is trusted for the same caller identity without asking again;
        /// zero turns the cache off, and more than ``VideoCache/maximumTTL`` (1 s) counts as 1 s.
        package var cacheTTL: Duration = .milliseconds(500)
        /// Most videos cached.
        package var cacheCapacity = 10_000

        package init() {}

        package static var defaults: Self { Self() }
    }

    static let getVideo = MethodDescriptor(
        service: "halo.video.v1.VideoService", method: "GetVideo", isIdempotent: true)
    static let batchGetVideos = MethodDescriptor(
        service: "halo.video.v1.VideoService", method: "BatchGetVideos", isIdempotent: true)
    /// Metadata passed on to the video service: who is asking, and the request id for logs.
    static let forwardedKeys = Identity.metadataKeys + ["x-request-id"]

    private let cluster: Cluster
    private let configuration: Configuration
    private let cache: VideoCache
    private let logger: Logger

    /// - Parameter cluster: started (or to be started) by the owner, who also shuts it down.
    package init(cluster: Cluster, configuration: Configuration = .defaults, logger: Logger) {
        self.cluster = cluster
        self.configuration = configuration
        self.cache = VideoCache(ttl: configuration.cacheTTL, capacity: configuration.cacheCapacity)
        self.logger = logger
    }

    package nonisolated(nonsending) func requireVisible(
        _ videoID: String, to viewer: Identity, context: ServerContext
    ) async throws(RPCError) {
        if self.cache.isVisible(videoID, to: viewer) { return }
        let _: Halo_Video_V1_Video = try await self.call(
            Self.getVideo, Halo_Video_V1_GetVideoRequest.with { $0.id = videoID }, context: context)
        self.cache.insert(videoID, visibleTo: viewer)
    }

    package func visible(
        _ videoIDs: [String], to viewer: Identity, context: ServerContext
    ) async throws(RPCError) -> Set<String> {
        var found = Set<String>()
        var missing: [String] = []
        for videoID in videoIDs {
            if self.cache.isVisible(videoID, to: viewer) {
                found.insert(videoID)
            } else {
                missing.append(videoID)
            }
        }
        guard !missing.isEmpty else { return found }
        let response: Halo_Video_V1_BatchGetVideosResponse = try await self.call(
            Self.batchGetVideos, Halo_Video_V1_BatchGetVideosRequest.with { $0.ids = missing }, context: context)
        for video in response.videos {
            let id = video.id.lowercased()
            self.cache.insert(id, visibleTo: viewer)
            found.insert(id)
        }
        return found
    }

    /// Runs one call through the cluster with forwarded metadata and a bounded deadline; maps its failure.
    private func call<Response: SwiftProtobuf.Message>(
        _ method: MethodDescriptor, _ request: some SwiftProtobuf.Message, context: ServerContext
    ) async throws(RPCError) -> Response {
        var timeout = self.configuration.timeout
        if let deadline = context.deadline {
            let remaining = Duration.nanoseconds((deadline - .now()).nanoseconds)
            if remaining < timeout { timeout = max(remaining, .milliseconds(1)) }
        }
        var metadata = Metadata()
        for key in Self.forwardedKeys {
            for entry in context.metadata.entries where entry.key == key {
                if case .string(let value) = entry.value { metadata.add(key, value) }
            }
        }
        let message = try RequestMessage(request)
        let response: UpstreamResponse
        do {
            response = try await self.cluster.unary(method, request: message, metadata: metadata, timeout: timeout)
        } catch {
            throw self.map(error)
        }
        do {
            return try Response(serializedBytes: Array(response.message.readableBytesView))
        } catch {
            self.logger.warning("video service answer unreadable", metadata: ["error": "\(error)"])
            throw RPCError(code: .unavailable, message: "cannot check the video now; nothing was changed; try again")
        }
    }

    private func map(_ failure: UpstreamFailure) -> RPCError {
        // Only a status the video service sent speaks about the video; a local failure never does.
        let answered = failure.failure.origin == .server
        switch failure.code {
        case .notFound where answered:
            return RPCError(code: .notFound, message: "video not found")
        case .invalidArgument where answered:
            return RPCError(code: .invalidArgument, message: "invalid video id")
        case .unauthenticated where answered, .permissionDenied where answered:
            return RPCError(code: failure.code, message: "the video service refused the caller's identity")
        default:
            self.logger.warning(
                "video service unavailable",
                metadata: ["error": "\(failure)", "code": "\(failure.code.name)", "reason": "\(failure.reason)"])
            return RPCError(
                code: .unavailable, message: "cannot check the video now; nothing was changed; try again",
                cause: failure)
        }
    }
}
