import CallerIdentity
import EngagementService
import Foundation
import Synchronization
import Testing

/// The engagement service's video cache, on a hand-driven clock (no Redis, no video service).
@Suite struct VideoCacheTests {
    final class ManualClock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { self.instant.withLock { $0 } }
        func advance(_ duration: Duration) { self.instant.withLock { $0 += duration } }
    }

    let video = UUID().uuidString.lowercased()
    let adult = Identity(userID: UUID(), isAdult: true)
    let minor = Identity(userID: UUID())

    @Test func anAnswerServesOnlyTheIdentityItWasMadeFor() {
        let clock = ManualClock()
        let cache = VideoCache(ttl: .milliseconds(500), capacity: 100, now: { clock.now })
        cache.insert(self.video, visibleTo: self.adult)
        #expect(cache.isVisible(self.video, to: self.adult))
        // Another caller, however alike, asks the video service itself.
        #expect(!cache.isVisible(self.video, to: self.minor))
        #expect(!cache.isVisible(self.video, to: .anonymous))
        #expect(!cache.isVisible(self.video, to: Identity(userID: self.adult.userID)))
        #expect(!cache.isVisible(self.video, to: Identity(userID: UUID(), isAdult: true)))
    }

    @Test func entriesExpireAfterTheTTL() {
        let clock = ManualClock()
        let cache = VideoCache(ttl: .milliseconds(500), capacity: 100, now: { clock.now })
        cache.insert(self.video, visibleTo: self.minor)
        clock.advance(.milliseconds(499))
        #expect(cache.isVisible(self.video, to: self.minor))
        clock.advance(.milliseconds(1))
        #expect(!cache.isVisible(self.video, to: self.minor))
        #expect(cache.count == 0)
    }

    @Test func noTTLIsLongerThanASecond() {
        let clock = ManualClock()
        let cache = VideoCache(ttl: .seconds(30), capacity: 100, now: { clock.now })
        cache.insert(self.video, visibleTo: self.minor)
        clock.advance(.milliseconds(999))
        #expect(cache.isVisible(self.video, to: self.minor))
        clock.advance(.milliseconds(1))
        #expect(!cache.isVisible(self.video, to: self.minor))
    }

    @Test func aZeroTTLCachesNothing() {
        let cache = VideoCache(ttl: .zero, capacity: 100)
        cache.insert(self.video, visibleTo: self.minor)
        #expect(!cache.isVisible(self.video, to: self.minor))
        #expect(cache.count == 0)
    }

    @Test func aFullCacheStaysWithinItsCapacity() {
        let clock = ManualClock()
        let cache = VideoCache(ttl: .milliseconds(500), capacity: 10, now: { clock.now })
        for _ in 0..<25 { cache.insert(UUID().uuidString, visibleTo: self.minor) }
        #expect(cache.count <= 10)
        cache.insert(self.video, visibleTo: self.minor)
        #expect(cache.isVisible(self.video, to: self.minor))
    }
}
