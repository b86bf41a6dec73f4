import Foundation
import Synchronization

/// A short positive cache of video existence: id -> whether the video is adult content, until a
/// deadline. Unknown and hidden videos are never cached, so a video created a moment ago is found
/// on the next call.
///
/// Bounded: when full, expired entries go first; if it is still full, everything goes (it refills
/// within one TTL, and a bound matters more than a hit rate).
final class VideoCache: Sendable {
    private struct Entry {
        var isAdult: Bool
        var expires: ContinuousClock.Instant
    }

    private let ttl: Duration
    private let capacity: Int
    private let entries = Mutex([String: Entry]())

    init(ttl: Duration, capacity: Int) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    /// Whether `videoID` is known to exist and be visible to a caller with `isAdult` (adult mode).
    /// False means "ask the video service", never "does not exist".
    func isVisible(_ videoID: String, isAdult: Bool) -> Bool {
        guard self.ttl > .zero else { return false }
        let now = ContinuousClock.now
        return self.entries.withLock { entries in
            guard let entry = entries[videoID] else { return false }
            guard entry.expires > now else {
                entries.removeValue(forKey: videoID)
                return false
            }
            return !entry.isAdult || isAdult
        }
    }

    /// Records that `videoID` exists.
    func insert(_ videoID: String, isAdult: Bool) {
        guard self.ttl > .zero else { return }
        let now = ContinuousClock.now
        let entry = Entry(isAdult: isAdult, expires: now + self.ttl)
        self.entries.withLock { entries in
            if entries[videoID] == nil, entries.count >= self.capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[videoID] = entry
        }
    }

    /// Entries held now (tests, admin).
    var count: Int { self.entries.withLock { $0.count } }
}
