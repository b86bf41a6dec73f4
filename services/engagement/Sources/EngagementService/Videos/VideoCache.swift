package import CallerIdentity
import Synchronization

/// A short positive cache of "this caller may see this video": (video id, caller identity) ->
/// until a deadline. Unknown and hidden videos are never cached, so a video created a moment ago
/// is found on the next call.
///
/// Two promises bound what a cached answer can hide:
/// - An entry is only ever used for the identity it was made for (the same user id and the same
///   adult and admin flags, which is all the video service decides visibility on), so one caller's
///   answer never decides adult visibility for another.
/// - Entries live at most ``maximumTTL``: a deleted video stops taking writes within a second.
///
/// Bounded: when full, expired entries go first; if it is still full, everything goes (it refills
/// within one TTL, and a bound matters more than a hit rate).
package final class VideoCache: Sendable {
    /// The longest an answer is trusted, whatever the configuration asks.
    package static let maximumTTL: Duration = .seconds(1)

    private struct Key: Hashable {
        var videoID: String
        var viewer: Identity
    }

    private let ttl: Duration
    private let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let entries = Mutex([Key: ContinuousClock.Instant]())

    package init(
        ttl: Duration, capacity: Int, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.ttl = min(ttl, Self.maximumTTL)
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// Whether `videoID` was seen, within the TTL, to exist and be visible to `viewer`.
    /// False means "ask the video service", never "does not exist".
    package func isVisible(_ videoID: String, to viewer: Identity) -> Bool {
        guard self.ttl > .zero else { return false }
        let now = self.now()
        let key = Key(videoID: videoID, viewer: viewer)
        return self.entries.withLock { entries in
            guard let expires = entries[key] else { return false }
            guard expires > now else {
                entries.removeValue(forKey: key)
                return false
            }
            return true
        }
    }

    /// Records that the video service showed `videoID` to `viewer`.
    package func insert(_ videoID: String, visibleTo viewer: Identity) {
        guard self.ttl > .zero else { return }
        let now = self.now()
        let key = Key(videoID: videoID, viewer: viewer)
        self.entries.withLock { entries in
            if entries[key] == nil, entries.count >= self.capacity {
                entries = entries.filter { $0.value > now }
                if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = now + self.ttl
        }
    }

    /// Entries held now (tests, admin).
    package var count: Int { self.entries.withLock { $0.count } }
}
