package import RPC

/// Tells whether videos exist for a caller: the seam between engagement and the video service.
package protocol VideoDirectory: Sendable {
    /// Returns when `videoID` exists and the caller (`context`'s identity metadata) may see it.
    /// Throws NOT_FOUND when it does not, UNAVAILABLE when that cannot be told now.
    func requireVisible(_ videoID: String, context: ServerContext) async throws(RPCError)

    /// The ids among `videoIDs` that exist and the caller may see (one call for all of them).
    /// Throws UNAVAILABLE when that cannot be told now.
    func visible(_ videoIDs: [String], context: ServerContext) async throws(RPCError) -> Set<String>
}
