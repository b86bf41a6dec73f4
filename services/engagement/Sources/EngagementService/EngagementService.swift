package import Foundation
package import Logging
import Protos
package import RPC
import ServiceSupport

/// `halo.engagement.v1.EngagementService`: counters, likes and live presence (issue 5).
///
/// Identity comes from the gateway's metadata: Like, Unlike and Increment need a user; Heartbeat
/// accepts anonymous callers (an anonymous heartbeat names its viewing session). Before
/// any write, and for GetCounts and BatchGetCounts, the video service confirms the video exists
/// for this caller (NOT_FOUND otherwise; UNAVAILABLE, nothing applied, when it cannot say).
/// Storage failures answer UNAVAILABLE with nothing applied. Time comes from `now`, so presence
/// expiry is testable.
package struct EngagementService: RPCService {
    package static let name = "halo.engagement.v1.EngagementService"

    /// The service's methods.
    package enum Methods {
        package static let increment = MethodDescriptor(service: name, method: "Increment")
        package static let like = MethodDescriptor(service: name, method: "Like", isIdempotent: true)
        package static let unlike = MethodDescriptor(service: name, method: "Unlike", isIdempotent: true)
        package static let heartbeat = MethodDescriptor(service: name, method: "Heartbeat", isIdempotent: true)
        package static let getCounts = MethodDescriptor(service: name, method: "GetCounts", isIdempotent: true)
        package static let batchGetCounts = MethodDescriptor(
            service: name, method: "BatchGetCounts", isIdempotent: true)
        package static let watchCounts = MethodDescriptor(
            service: name, method: "WatchCounts", kind: .serverStreaming, isIdempotent: true)
    }

    let store: any EngagementStore
    let videos: any VideoDirectory
    let hub: CountsHub
    let logger: Logger
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - hub: feeds WatchCounts; run it as a background service of the same process.
    ///   - now: the clock for presence (heartbeat scores and the 60 s window) and event times.
    package init(
        store: any EngagementStore, videos: any VideoDirectory, hub: CountsHub, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.videos = videos
        self.hub = hub
        self.logger = logger
        self.now = now
    }

    package var serviceName: String { Self.name }

    package func register(in router: inout Router) {
        router.unary(Methods.increment) { try await self.increment($0, context: $1) }
        router.unary(Methods.like) { try await self.like($0, context: $1) }
        router.unary(Methods.unlike) { try await self.unlike($0, context: $1) }
        router.unary(Methods.heartbeat) { try await self.heartbeat($0, context: $1) }
        router.unary(Methods.getCounts) { try await self.getCounts($0, context: $1) }
        router.unary(Methods.batchGetCounts) { try await self.batchGetCounts($0, context: $1) }
        router.serverStreaming(Methods.watchCounts) { try await self.watchCounts($0, context: $1, writer: $2) }
    }

    /// Runs a store call; its failure becomes UNAVAILABLE (retryable) or INTERNAL, never Redis text.
    /// Runs on its caller's executor (as the store reads below do): no executor switch per call.
    nonisolated(nonsending) func stored<Result>(
        _ operation: String, _ body: nonisolated(nonsending) () async throws -> Result
    ) async throws(RPCError) -> Result {
        do {
            return try await body()
        } catch {
            let status = StoreErrors.rpcError(for: error)
            let metadata: Logger.Metadata = [
                "operation": "\(operation)", "code": "\(status.code)", "error": "\(String(reflecting: error))",
            ]
            if status.code == .unavailable {
                self.logger.warning("engagement store unavailable", metadata: metadata)
            } else {
                self.logger.error("engagement store failed", metadata: metadata)
            }
            throw status
        }
    }
}

extension Halo_Engagement_V1_Counts {
    init(_ counts: StoredCounts) {
        self.init()
        self.views = counts.views
        self.likes = counts.likes
        self.comments = counts.comments
        self.liveViewers = counts.liveViewers
        self.liked = counts.liked
    }

    init(_ counts: CountsEvent.Counts) {
        self.init()
        self.views = counts.views
        self.likes = counts.likes
        self.comments = counts.comments
        self.liveViewers = counts.liveViewers
    }
}
