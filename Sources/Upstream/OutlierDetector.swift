package import NIOCore

/// Passive outlier ejection for one endpoint: consecutive server faults eject it for a time
/// that grows with each ejection, up to a cap. The pool decides whether the ejection may
/// happen (never more than its share of endpoints out at once, and never the last endpoint that
/// could take the calls); time is passed in.
package struct OutlierDetector: Sendable {
    package struct Configuration: Sendable, Hashable {
        /// Consecutive server faults that eject an endpoint.
        package var consecutiveFaults = 5
        /// The first ejection's length; the n-th lasts n times this.
        package var baseEjectionTime: Duration = .seconds(30)
        /// No ejection lasts longer.
        package var maxEjectionTime: Duration = .seconds(300)
        /// Share (0...1) of a cluster's endpoints that may be ejected at once; at least one may be,
        /// unless no other endpoint could take its calls.
        package var maxEjectedShare = 0.5

        package init() {}

        package static var defaults: Self { Self() }
    }

    package let configuration: Configuration
    package private(set) var consecutiveFaults = 0
    /// Ejections so far; an endpoint that behaves for a while earns its count back down.
    package private(set) var ejections = 0
    package private(set) var ejectedUntil: NIODeadline?

    package init(configuration: Configuration) { self.configuration = configuration }

    package func isEjected(now: NIODeadline) -> Bool {
        guard let until = self.ejectedUntil else { return false }
        return now < until
    }

    /// Records an attempt's outcome. True when the endpoint should now be ejected: the caller
    /// checks the share limit and then calls `eject(now:)`.
    package mutating func record(serverFault: Bool) -> Bool {
        guard serverFault else {
            self.consecutiveFaults = 0
            return false
        }
        self.consecutiveFaults += 1
        return self.consecutiveFaults >= self.configuration.consecutiveFaults
    }

    /// Ejects the endpoint; returns until when.
    package mutating func eject(now: NIODeadline) -> NIODeadline {
        self.ejections += 1
        self.consecutiveFaults = 0
        let base = Double(Self.nanoseconds(self.configuration.baseEjectionTime)) * Double(self.ejections)
        let length = min(base, Double(Self.nanoseconds(self.configuration.maxEjectionTime)))
        let until = now + .nanoseconds(Int64(length))
        self.ejectedUntil = until
        return until
    }

    /// Ends an ejection whose time is up; true if it just ended. The ejection count stays, so a
    /// relapse is ejected for longer (see `decay()`).
    package mutating func returnIfDue(now: NIODeadline) -> Bool {
        guard let until = self.ejectedUntil, now >= until else { return false }
        self.ejectedUntil = nil
        return true
    }

    /// Called once per base ejection time: an endpoint not ejected now has one ejection forgiven.
    package mutating func decay() {
        if self.ejections > 0, self.ejectedUntil == nil { self.ejections -= 1 }
    }

    /// How many of `total` endpoints may be ejected at once.
    package static func maxEjected(of total: Int, share: Double) -> Int {
        max(1, Int((Double(total) * share).rounded(.down)))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
