import Foundation

/// One message on `halo:engagement:video:<id>`, published by the write script in the same atomic
/// step as the change it reports, and only when something changed (a repeated like, an unlike of a
/// video not liked or a repeated heartbeat of a viewer already counted publish nothing):
///
/// ```json
/// {"type":"counts","video_id":"0190d5c4-…","event":"like","seq":7,"at":1735689600000,
///  "counts":{"views":12,"likes":3,"comments":1,"live_viewers":2}}
/// ```
///
/// - `type`: always `counts` (other types may come later; skip what you do not know).
/// - `video_id`: the video's lower-case UUID (also the channel suffix).
/// - `event`: what changed: `views`, `comments`, `like`, `unlike` or `heartbeat` (a viewer came,
///   or viewers whose heartbeats expired left, with any change).
/// - `seq`: the video's change counter; a higher `seq` is newer, so a consumer keeps the highest.
/// - `at`: the writer's clock, Unix milliseconds.
/// - `counts`: every counter after the change; `live_viewers` counts heartbeats of the last 60 s
///   as of `at`. There is no `liked`: events are shared by all watchers.
package struct CountsEvent: Codable, Sendable, Hashable {
    /// The counters in an event.
    package struct Counts: Codable, Sendable, Hashable {
        package var views: Int64
        package var likes: Int64
        package var comments: Int64
        package var liveViewers: Int64

        enum CodingKeys: String, CodingKey {
            case views, likes, comments
            case liveViewers = "live_viewers"
        }

        package init(views: Int64, likes: Int64, comments: Int64, liveViewers: Int64) {
            self.views = views
            self.likes = likes
            self.comments = comments
            self.liveViewers = liveViewers
        }
    }

    package var type: String
    package var videoID: String
    package var event: String
    package var seq: Int64
    package var at: Int64
    package var counts: Counts

    enum CodingKeys: String, CodingKey {
        case type, event, seq, at, counts
        case videoID = "video_id"
    }

    package init(videoID: String, event: String, seq: Int64, at: Int64, counts: Counts) {
        self.type = "counts"
        self.videoID = videoID
        self.event = event
        self.seq = seq
        self.at = at
        self.counts = counts
    }

    /// Parses a published payload; nil for anything that is not a `counts` event.
    package init?(payload: some Collection<UInt8>) {
        guard let event = try? JSONDecoder().decode(CountsEvent.self, from: Data(payload)), event.type == "counts"
        else { return nil }
        self = event
    }
}

extension CountsEvent {
    /// An event standing for counts read from the store after a reconnect (never published).
    init(videoID: String, snapshot: StoredCounts, at: Int64) {
        self.init(
            videoID: videoID, event: Self.snapshotEvent, seq: snapshot.seq, at: at,
            counts: Counts(
                views: snapshot.views, likes: snapshot.likes, comments: snapshot.comments,
                liveViewers: snapshot.liveViewers))
    }

    static let snapshotEvent = "snapshot"

    /// Whether the counts were read from the store rather than published with a change.
    var isSnapshot: Bool { self.event == Self.snapshotEvent }
}
