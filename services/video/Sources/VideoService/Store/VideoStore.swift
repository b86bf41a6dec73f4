package import Foundation

/// Where videos are kept. The SQL implementation serves; the in-memory one is for unit tests.
///
/// Failures are thrown as `DatabaseError` (ServiceSupport) so the service can answer
/// UNAVAILABLE without knowing the driver.
package protocol VideoStore: Sendable {
    /// Stores a new video.
    func insert(_ video: VideoRecord) async throws
    /// One video, or nil.
    func video(id: UUID) async throws -> VideoRecord?
    /// The videos among `ids` that exist, in any order.
    func videos(ids: [UUID]) async throws -> [VideoRecord]
    /// Up to `query.limit` videos that match, newest first (created_at, then id, descending),
    /// after skipping `query.offset`.
    func list(_ query: VideoQuery) async throws -> [VideoRecord]
    /// Sets the fields present in `changes` and `updated_at`; the stored video, or nil if there is none.
    func update(id: UUID, changes: VideoChanges, updatedAt: Int64) async throws -> VideoRecord?
    /// Deletes a video; false if there was none.
    func delete(id: UUID) async throws -> Bool
}
