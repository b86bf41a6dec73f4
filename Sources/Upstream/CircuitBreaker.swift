package import NIOCore

/// A circuit breaker: closed, open, half-open, as data; each event returns what the caller must
/// do, and time is passed in. A pool has one for its cluster, and optionally one per endpoint
/// (`ClusterConfiguration.endpointCircuitBreaker`).
///
/// Closed, it records the outcome of each call in a window of the last `windowSize` calls; once
/// it holds `minimumCalls`, a failure rate or slow-call rate at or above its threshold opens it.
/// Open, it rejects every call for `openDuration` (the caller answers at once, with Retry-After),
/// then lets `halfOpenProbes` calls through: all of them succeeding closes it, any failure opens
/// it again. Only server-side faults count as failures (`UpstreamFailure.isServerFault`).
package struct CircuitBreaker: Sendable {
    package struct Configuration: Sendable, Hashable {
        /// Failure share (0...1) of the window that opens the breaker.
        package var failureRateThreshold = 0.5
        /// Slow-call share (0...1) of the window that opens the breaker.
        package var slowCallRateThreshold = 1.0
        /// A call taking at least this long is slow.
        package var slowCallDuration: Duration = .seconds(5)
        /// Calls the sliding window holds.
        package var windowSize = 100
        /// Calls the window must hold before a rate means anything.
        package var minimumCalls = 20
        /// How long an open breaker rejects calls before probing.
        package var openDuration: Duration = .seconds(30)
        /// Calls let through while half-open; all must succeed to close.
        package var halfOpenProbes = 3

        package init() {}

        package static var defaults: Self { Self() }
    }

    package enum State: Sendable, Hashable, CustomStringConvertible {
        case closed
        case open(until: NIODeadline)
        /// `admitted` probes let through so far, `succeeded` of them answered well.
        case halfOpen(admitted: Int, succeeded: Int)

        package var description: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half_open"
            }
        }
    }

    /// Whether a call may go upstream.
    package enum Admission: Sendable, Hashable {
        case allow
        /// Allowed as one of the half-open probes: its outcome decides the breaker's next state.
        case probe
        /// Rejected: the breaker is open; try again after this long.
        case reject(retryAfter: Duration)
    }

    /// A state change the caller reports (metrics, logs).
    package enum Transition: Sendable, Hashable {
        case opened
        case halfOpened
        case closed
    }

    package let configuration: Configuration
    package private(set) var state = State.closed
    private var window: OutcomeWindow
    /// `slowCallDuration`, for the per-call comparison (no `Duration` arithmetic on a call's path).
    private let slowCall: TimeAmount

    package init(configuration: Configuration) {
        self.configuration = configuration
        self.window = OutcomeWindow(size: max(1, configuration.windowSize))
        self.slowCall = TimeAmount(configuration.slowCallDuration)
    }

    /// Decides whether a call may start; an open breaker whose time is up becomes half-open here.
    package mutating func admit(now: NIODeadline) -> (Admission, Transition?) {
        switch self.state {
        case .closed:
            return (.allow, nil)
        case .open(let until):
            guard now >= until else {
                return (.reject(retryAfter: .nanoseconds((until - now).nanoseconds)), nil)
            }
            self.state = .halfOpen(admitted: 1, succeeded: 0)
            return (.probe, .halfOpened)
        case .halfOpen(let admitted, let succeeded):
            guard admitted < self.configuration.halfOpenProbes else {
                return (.reject(retryAfter: .seconds(1)), nil)
            }
            self.state = .halfOpen(admitted: admitted + 1, succeeded: succeeded)
            return (.probe, nil)
        }
    }

    /// Whether `admit(now:)` would let a call through now, without changing anything: a pool asks
    /// this of every endpoint it passes over, and admits only on the one it picks.
    package func wouldAdmit(now: NIODeadline) -> Bool {
        switch self.state {
        case .closed: true
        case .open(let until): now >= until
        case .halfOpen(let admitted, _): admitted < self.configuration.halfOpenProbes
        }
    }

    /// Records a finished call admitted with `admission`.
    package mutating func record(
        serverFault: Bool, duration: Duration, admission: Admission, now: NIODeadline
    ) -> Transition? {
        self.record(serverFault: serverFault, elapsed: TimeAmount(duration), admission: admission, now: now)
    }

    /// Records a finished call admitted with `admission` that took `elapsed`.
    package mutating func record(
        serverFault: Bool, elapsed: TimeAmount, admission: Admission, now: NIODeadline
    ) -> Transition? {
        switch (self.state, admission) {
        case (.closed, .allow):
            self.window.append(failure: serverFault, slow: elapsed >= self.slowCall)
            guard self.window.count >= self.configuration.minimumCalls else { return nil }
            let count = Double(self.window.count)
            if Double(self.window.failures) / count >= self.configuration.failureRateThreshold
                || Double(self.window.slowCalls) / count >= self.configuration.slowCallRateThreshold
            {
                return self.open(now: now)
            }
            return nil
        case (.halfOpen(let admitted, let succeeded), .probe):
            guard !serverFault else { return self.open(now: now) }
            guard succeeded + 1 >= self.configuration.halfOpenProbes else {
                self.state = .halfOpen(admitted: admitted, succeeded: succeeded + 1)
                return nil
            }
            self.state = .closed
            self.window.reset()
            return .closed
        default:
            // A call admitted under an earlier state: its outcome says nothing about this one.
            return nil
        }
    }

    /// A probe ended without an answer that says anything (cancelled by its caller): let another through.
    package mutating func probeAbandoned() {
        if case .halfOpen(let admitted, let succeeded) = self.state, admitted > succeeded {
            self.state = .halfOpen(admitted: admitted - 1, succeeded: succeeded)
        }
    }

    private mutating func open(now: NIODeadline) -> Transition {
        self.state = .open(until: now + TimeAmount(self.configuration.openDuration))
        self.window.reset()
        return .opened
    }
}
