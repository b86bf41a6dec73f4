package import Foundation
package import Logging
package import RPC
import ServiceSupport

/// `halo.video.v1.VideoService`: the video catalogue (issue 4).
///
/// Identity comes from the gateway's metadata: creating needs a user (the owner, never taken
/// from the request); updating and deleting need the owner or an admin; adult videos exist only
/// for adult callers (NOT_FOUND and left out of lists otherwise). Every invalid field is
/// INVALID_ARGUMENT naming it; a database that cannot answer is UNAVAILABLE.
package struct VideoService: RPCService {
    package static let name = "halo.video.v1.VideoService"

    /// The service's methods.
    package enum Methods {
        package static let createVideo = MethodDescriptor(service: name, method: "CreateVideo")
        package static let getVideo = MethodDescriptor(service: name, method: "GetVideo", isIdempotent: true)
        package static let listVideos = MethodDescriptor(service: name, method: "ListVideos", isIdempotent: true)
        package static let updateVideo = MethodDescriptor(service: name, method: "UpdateVideo")
        /// Not idempotent: a repeated delete answers NOT_FOUND, so it must not be retried once sent.
        package static let deleteVideo = MethodDescriptor(service: name, method: "DeleteVideo")
        package static let batchGetVideos = MethodDescriptor(
            service: name, method: "BatchGetVideos", isIdempotent: true)
    }

    let store: any VideoStore
    let logger: Logger
    let now: @Sendable () -> Date

    /// - Parameter now: the clock that stamps new and changed videos (tests pin it).
    package init(store: any VideoStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    package var serviceName: String { Self.name }

    package func register(in router: inout Router) {
        router.unary(Methods.createVideo) { try await self.createVideo($0, context: $1) }
        router.unary(Methods.getVideo) { try await self.getVideo($0, context: $1) }
        router.unary(Methods.listVideos) { try await self.listVideos($0, context: $1) }
        router.unary(Methods.updateVideo) { try await self.updateVideo($0, context: $1) }
        router.unary(Methods.deleteVideo) { try await self.deleteVideo($0, context: $1) }
        router.unary(Methods.batchGetVideos) { try await self.batchGetVideos($0, context: $1) }
    }

    /// Runs a store call; its failure becomes the status the caller gets (UNAVAILABLE when the
    /// database cannot answer, INTERNAL for anything else, never with driver or SQL text).
    func stored<Result>(_ operation: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            let status = DatabaseErrors.rpcError(for: error)
            // Driver errors' plain descriptions leave out queries and bound values (user data).
            let classified = DatabaseErrors.classify(error)
            let metadata: Logger.Metadata = [
                "operation": "\(operation)", "code": "\(status.code)", "error": "\(classified)",
                "cause": "\(classified.cause.map { "\($0)" } ?? "none")",
            ]
            if status.code == .unavailable {
                self.logger.warning("video store unavailable", metadata: metadata)
            } else {
                self.logger.error("video store failed", metadata: metadata)
            }
            throw status
        }
    }
}
