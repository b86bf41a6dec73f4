import Sodium

package import struct Foundation.Date

/// Per-account login throttling: after `maximumFailures` failed logins within `window`, further attempts are
/// refused until the oldest of those failures leaves the window. Keyed by the (lower-cased) email, whether or
/// not an account has it, so the throttle itself does not tell which emails are registered; the client's
/// address plays no part.
package struct LoginThrottle: Hashable, Sendable {
    package var maximumFailures: Int
    package var window: Duration

    package init(maximumFailures: Int = 5, window: Duration = .seconds(15 * 60)) {
        precondition(maximumFailures > 0, "at least one failure before a lockout")
        self.maximumFailures = maximumFailures
        self.window = window
    }

    package static var defaults: Self { Self() }

    /// The key failures are stored under: hex SHA-256 of the lower-cased email (no address stored in clear).
    package static func accountKey(email: String) -> String {
        Hex.encode(SHA256.hash(Array(email.utf8)))
    }

    /// The start of the window that counts at `now`.
    package func windowStart(at now: Date) -> Date {
        now.addingTimeInterval(-self.windowSeconds)
    }

    /// Whole seconds until a login may be tried again, or nil when it may be tried now.
    /// `failures` are the failures since `windowStart(at: now)`, oldest first.
    package func retryAfter(failures: [Date], now: Date) -> Int? {
        let recent = failures.filter { $0 > self.windowStart(at: now) }.sorted()
        guard recent.count >= self.maximumFailures else { return nil }
        // The lockout ends when fewer than `maximumFailures` remain in the window.
        let unlocking = recent[recent.count - self.maximumFailures].addingTimeInterval(self.windowSeconds)
        return max(1, Int(unlocking.timeIntervalSince(now).rounded(.up)))
    }

    private var windowSeconds: Double {
        let components = self.window.components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
