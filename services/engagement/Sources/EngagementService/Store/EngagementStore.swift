package import Foundation

/// Where counters, likes and presence live: the seam between the service and Redis.
///
/// Every change is atomic with the counts it returns and with the event it publishes.
package protocol EngagementStore: Sendable {
    /// Applies one change to a video at `now` and returns its counts afterwards.
    func apply(_ change: EngagementChange, to videoID: String, at now: Date) async throws -> ChangeResult
    /// The counts of each video, read together in one round trip; `liked` is for `user` (false when nil).
    /// Videos never written answer zeros.
    func counts(of videoIDs: [String], likedBy user: String?, at now: Date) async throws -> [String: StoredCounts]
    /// The counts of one video (GetCounts): as ``counts(of:likedBy:at:)`` for one id, without
    /// the arrays and the dictionary around it.
    nonisolated(nonsending) func counts(
        ofVideo videoID: String, likedBy user: String?, at now: Date
    ) async throws -> StoredCounts
}

extension EngagementStore {
    package nonisolated(nonsending) func counts(
        ofVideo videoID: String, likedBy user: String?, at now: Date
    ) async throws -> StoredCounts {
        try await self.counts(of: [videoID], likedBy: user, at: now)[videoID] ?? StoredCounts()
    }
}

/// One change to a video's engagement.
package enum EngagementChange: Sendable, Hashable {
    /// One more view.
    case view
    /// One more comment.
    case comment
    /// `user` likes the video (a set member: counts once).
    case like(user: String)
    /// `user` withdraws a like.
    case unlike(user: String)
    /// `viewer` (a user id, or `anon:<session id>`) is watching now.
    case heartbeat(viewer: String)

    /// The name in published events and in the write script: views, comments, like, unlike, heartbeat.
    package var event: String {
        switch self {
        case .view: "views"
        case .comment: "comments"
        case .like: "like"
        case .unlike: "unlike"
        case .heartbeat: "heartbeat"
        }
    }
}

/// A video's counters as stored, with the change sequence number events carry.
package struct StoredCounts: Sendable, Hashable {
    package var views: Int64 = 0
    package var likes: Int64 = 0
    package var comments: Int64 = 0
    package var liveViewers: Int64 = 0
    /// Whether the asking user likes the video.
    package var liked = false
    /// How many changes the video has had; events with a higher number are newer.
    package var seq: Int64 = 0

    package init(
        views: Int64 = 0, likes: Int64 = 0, comments: Int64 = 0, liveViewers: Int64 = 0, liked: Bool = false,
        seq: Int64 = 0
    ) {
        self.views = views
        self.likes = likes
        self.comments = comments
        self.liveViewers = liveViewers
        self.liked = liked
        self.seq = seq
    }
}

/// The outcome of ``EngagementStore/apply(_:to:at:)``.
package struct ChangeResult: Sendable, Hashable {
    /// The counts after the change (`liked` unset).
    package var counts: StoredCounts
    /// Whether anything changed (a repeated like or an unlike of a video not liked changes nothing,
    /// and publishes nothing).
    package var changed: Bool

    package init(counts: StoredCounts, changed: Bool) {
        self.counts = counts
        self.changed = changed
    }
}
