package import CallerIdentity
package import RPC

/// Tells whether videos exist for a caller: the seam between engagement and the video service.
package protocol VideoDirectory: Sendable {
    /// Returns when `videoID` exists and `viewer` (the identity in `context`'s metadata, parsed
    /// once by the caller) may see it. Throws NOT_FOUND when it does not, UNAVAILABLE when that
    /// cannot be told now.
    nonisolated(nonsending) func requireVisible(
        _ videoID: String, to viewer: Identity, context: ServerContext
    ) async throws(RPCError)

    /// The ids among `videoIDs` that exist and `viewer` may see (one call for all of them).
    /// Throws UNAVAILABLE when that cannot be told now.
    func visible(
        _ videoIDs: [String], to viewer: Identity, context: ServerContext
    ) async throws(RPCError) -> Set<String>
}
