import Tokens

package import struct Foundation.Date

/// The service's notion of now, injectable so tests can move time (lockout expiry, token lifetimes, ages).
package struct AuthClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that asks `read` for the time.
    package init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    /// The current time.
    package func now() -> Date {
        self.read()
    }

    /// The system's wall clock.
    package static let system = AuthClock { Date() }

    /// The same clock in whole epoch seconds, as the token signer counts.
    var tokenClock: TokenClock {
        TokenClock { Int64(self.read().timeIntervalSince1970.rounded(.down)) }
    }
}
