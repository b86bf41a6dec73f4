import struct Foundation.Date

/// The current time in whole seconds since the Unix epoch (JWT NumericDate), injectable for tests.
package struct TokenClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A clock that asks `read` for the time.
    package init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    package func now() -> Int64 {
        read()
    }

    /// The system's wall clock.
    package static let system = TokenClock { Int64(Date().timeIntervalSince1970.rounded(.down)) }

    /// A clock stopped at `seconds` since the epoch.
    package static func fixed(_ seconds: Int64) -> TokenClock {
        TokenClock { seconds }
    }
}
