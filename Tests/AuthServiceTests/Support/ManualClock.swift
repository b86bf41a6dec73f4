import AuthService
import Foundation
import Synchronization

/// A clock a test moves by hand; starts at 2026-01-01T00:00:00Z.
final class ManualClock: Sendable {
    static let start = Date(timeIntervalSince1970: 1_767_225_600)

    private let current = Mutex(ManualClock.start)

    var now: Date { self.current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        self.current.withLock { $0 += seconds }
    }

    var authClock: AuthClock {
        AuthClock { self.now }
    }
}
