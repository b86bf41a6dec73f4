import CallerIdentity
package import Foundation
import ServiceSupport

/// A stored video: what the service keeps, independent of the wire format.
package struct VideoRecord: Sendable, Hashable {
    package var id: UUID
    package var ownerID: UUID
    package var title: String
    package var description: String
    package var thumbnailURL: String
    package var streamURL: String
    package var durationSeconds: Int32
    package var isLive: Bool
    package var isAdult: Bool
    /// Distinct, in the order given.
    package var tags: [String]
    /// Microseconds since 1970 (UTC); lists order by it, newest first.
    package var createdAt: Int64
    /// Microseconds since 1970 (UTC).
    package var updatedAt: Int64

    package init(
        id: UUID, ownerID: UUID, title: String, description: String = "", thumbnailURL: String = "",
        streamURL: String = "", durationSeconds: Int32 = 0, isLive: Bool = false, isAdult: Bool = false,
        tags: [String] = [], createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.ownerID = ownerID
        self.title = title
        self.description = description
        self.thumbnailURL = thumbnailURL
        self.streamURL = streamURL
        self.durationSeconds = durationSeconds
        self.isLive = isLive
        self.isAdult = isAdult
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Applies the fields present in `changes`.
    package func applying(_ changes: VideoChanges, updatedAt: Int64) -> VideoRecord {
        var video = self
        if let title = changes.title { video.title = title }
        if let description = changes.description { video.description = description }
        if let thumbnailURL = changes.thumbnailURL { video.thumbnailURL = thumbnailURL }
        if let streamURL = changes.streamURL { video.streamURL = streamURL }
        if let durationSeconds = changes.durationSeconds { video.durationSeconds = durationSeconds }
        if let isLive = changes.isLive { video.isLive = isLive }
        if let isAdult = changes.isAdult { video.isAdult = isAdult }
        if let tags = changes.tags { video.tags = tags }
        video.updatedAt = updatedAt
        return video
    }

    /// Whether `video` comes before `other` in lists: newer first, then the greater id.
    package func isListedBefore(_ other: VideoRecord) -> Bool {
        if self.createdAt != other.createdAt { return self.createdAt > other.createdAt }
        return self.id.lowercasedString > other.id.lowercasedString
    }
}

extension Date {
    /// Microseconds since 1970, as timestamps are stored.
    var microsecondsSince1970: Int64 { Int64((self.timeIntervalSince1970 * 1_000_000).rounded(.down)) }
}
