/// The Redis keys and the channel of one video.
///
/// All keys of a video share the hash tag `{<id>}`, so the write script's keys sit in one Redis
/// Cluster slot:
///
/// | key | type | holds |
/// |---|---|---|
/// | `halo:engagement:{<id>}:counters` | hash | `views`, `comments`, `seq` (changes so far) |
/// | `halo:engagement:{<id>}:likes` | set | user ids (lower-case UUIDs) who like the video |
/// | `halo:engagement:{<id>}:viewers` | sorted set | viewer id -> last heartbeat, Unix ms |
///
/// Events go to the channel `halo:engagement:video:<id>` (``CountsEvent``).
package struct EngagementKeys: Sendable, Hashable {
    /// The prefix of every event channel; subscribe to `halo:engagement:video:*` for all videos.
    package static let channelPrefix = "halo:engagement:video:"

    /// The video's canonical (lower-case) UUID.
    package let videoID: String

    package init(videoID: String) {
        self.videoID = videoID
    }

    package var counters: String { "halo:engagement:{\(self.videoID)}:counters" }
    package var likes: String { "halo:engagement:{\(self.videoID)}:likes" }
    package var viewers: String { "halo:engagement:{\(self.videoID)}:viewers" }
    /// Where changes of this video are published.
    package var channel: String { Self.channelPrefix + self.videoID }
}
