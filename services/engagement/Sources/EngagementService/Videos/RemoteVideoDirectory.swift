import CallerIdentity
package import Logging
import NIOCore
import Protos
package import RPC
import ServiceSupport
import SwiftProtobuf

/// ``VideoDirectory`` over gRPC: VideoService.GetVideo (one id) or BatchGetVideos (several), with
/// the caller's identity metadata forwarded so that adult-visibility rules apply, and a short
/// positive cache per caller identity (``VideoCache``: at most a second, never shared between
/// identities).
///
/// Each call is bounded by `timeout` or by the caller's deadline, whichever comes first. The
/// video service's NOT_FOUND passes through; a video service that cannot be reached, times out,
/// or fails answers UNAVAILABLE, so the caller's write is not applied.
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

    private let connection: ClientConnection
    private let configuration: Configuration
    private let cache: VideoCache
    private let logger: Logger

    package init(connection: ClientConnection, configuration: Configuration = .defaults, logger: Logger) {
        self.connection = connection
        self.configuration = configuration
        self.cache = VideoCache(ttl: configuration.cacheTTL, capacity: configuration.cacheCapacity)
        self.logger = logger
    }

    package func requireVisible(_ videoID: String, context: ServerContext) async throws(RPCError) {
        let viewer = try Identity(metadata: context.metadata)
        if self.cache.isVisible(videoID, to: viewer) { return }
        let video: Halo_Video_V1_Video = try await self.call(context) { options in
            try await self.connection.unary(
                Self.getVideo, Halo_Video_V1_GetVideoRequest.with { $0.id = videoID }, as: Halo_Video_V1_Video.self,
                options: options)
        }
        self.cache.insert(videoID, visibleTo: viewer)
    }

    package func visible(_ videoIDs: [String], context: ServerContext) async throws(RPCError) -> Set<String> {
        let viewer = try Identity(metadata: context.metadata)
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
        let request = Halo_Video_V1_BatchGetVideosRequest.with { $0.ids = missing }
        let response: Halo_Video_V1_BatchGetVideosResponse = try await self.call(context) { options in
            try await self.connection.unary(
                Self.batchGetVideos, request,
                as: Halo_Video_V1_BatchGetVideosResponse.self, options: options)
        }
        for video in response.videos {
            let id = video.id.lowercased()
            self.cache.insert(id, visibleTo: viewer)
            found.insert(id)
        }
        return found
    }

    /// Runs one call with forwarded metadata and a bounded timeout; maps its failure.
    ///
    /// The timeout is also enforced here, not only sent as `grpc-timeout`: a call still waiting
    /// for a connection (a server that accepts and never speaks HTTP/2) must not outlive it.
    private func call<Response: Sendable>(
        _ context: ServerContext, _ body: @escaping @Sendable (CallOptions) async throws -> Response
    ) async throws(RPCError) -> Response {
        var options = CallOptions(timeout: self.configuration.timeout)
        if let deadline = context.deadline {
            let remaining = Duration.nanoseconds((deadline - .now()).nanoseconds)
            if remaining < self.configuration.timeout { options.timeout = max(remaining, .milliseconds(1)) }
        }
        for key in Self.forwardedKeys {
            for entry in context.metadata.entries where entry.key == key {
                if case .string(let value) = entry.value { options.metadata.add(key, value) }
            }
        }
        let bounded = options
        do {
            return try await withTimeout(bounded.timeout ?? self.configuration.timeout) { try await body(bounded) }
        } catch {
            throw self.map(error)
        }
    }

    private func map(_ error: any Error) -> RPCError {
        let code = (error as? RPCError)?.code
        switch code {
        case .notFound?:
            return RPCError(code: .notFound, message: "video not found")
        case .invalidArgument?:
            return RPCError(code: .invalidArgument, message: "invalid video id")
        case .some(let refused) where refused == .unauthenticated || refused == .permissionDenied:
            return RPCError(code: refused, message: "the video service refused the caller's identity")
        default:
            self.logger.warning(
                "video service unavailable", metadata: ["error": "\(error)", "code": "\(code?.name ?? "-")"])
            return RPCError(
                code: .unavailable, message: "cannot check the video now; nothing was changed; try again", cause: error)
        }
    }
}
