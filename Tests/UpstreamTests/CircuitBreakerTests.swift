import NIOCore
import Testing
import Upstream

/// The breaker's states with a test clock: min calls respected, failure and slow-call rates,
/// open duration, N half-open probes, and closing after recovery.
@Suite struct CircuitBreakerTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private static func configuration() -> CircuitBreaker.Configuration {
        var configuration = CircuitBreaker.Configuration()
        configuration.windowSize = 10
        configuration.minimumCalls = 5
        configuration.failureRateThreshold = 0.5
        configuration.slowCallDuration = .seconds(1)
        configuration.slowCallRateThreshold = 0.8
        configuration.openDuration = .seconds(10)
        configuration.halfOpenProbes = 2
        return configuration
    }

    /// Admits and records one call.
    @discardableResult
    private func call(
        _ breaker: inout CircuitBreaker, fault: Bool, duration: Duration = .milliseconds(5), at now: NIODeadline
    ) -> (CircuitBreaker.Admission, CircuitBreaker.Transition?) {
        let (admission, _) = breaker.admit(now: now)
        if case .reject = admission { return (admission, nil) }
        return (admission, breaker.record(serverFault: fault, duration: duration, admission: admission, now: now))
    }

    @Test func minimumCallsBeforeOpening() {
        var breaker = CircuitBreaker(configuration: Self.configuration())
        for _ in 0..<4 { #expect(self.call(&breaker, fault: true, at: self.start).1 == nil) }
        #expect(breaker.state == .closed, "4 failures are below the minimum of 5 calls")
        #expect(self.call(&breaker, fault: true, at: self.start).1 == .opened)
    }

    @Test func failureRateBelowThresholdStaysClosed() {
        var breaker = CircuitBreaker(configuration: Self.configuration())
        for index in 0..<40 { self.call(&breaker, fault: index % 3 == 0, at: self.start) }
        #expect(breaker.state == .closed)
    }

    @Test func openRejectsWithRetryAfterThenProbes() {
        var breaker = CircuitBreaker(configuration: Self.configuration())
        for _ in 0..<5 { self.call(&breaker, fault: true, at: self.start) }
        let (admission, _) = breaker.admit(now: self.start + .seconds(4))
        #expect(admission == .reject(retryAfter: .seconds(6)))
        // After the open duration: two probes, no third.
        let (first, transition) = breaker.admit(now: self.start + .seconds(10))
        #expect(first == .probe)
        #expect(transition == .halfOpened)
        #expect(breaker.admit(now: self.start + .seconds(10)).0 == .probe)
        guard case .reject = breaker.admit(now: self.start + .seconds(10)).0 else {
            Issue.record("a third probe must wait")
            return
        }
        let later = self.start + .seconds(11)
        #expect(breaker.record(serverFault: false, duration: .milliseconds(1), admission: .probe, now: later) == nil)
        #expect(
            breaker.record(serverFault: false, duration: .milliseconds(1), admission: .probe, now: later) == .closed)
        #expect(breaker.state == .closed)
        #expect(breaker.admit(now: later).0 == .allow)
    }

    @Test func failedProbeReopens() {
        var breaker = CircuitBreaker(configuration: Self.configuration())
        for _ in 0..<5 { self.call(&breaker, fault: true, at: self.start) }
        let probeTime = self.start + .seconds(10)
        #expect(breaker.admit(now: probeTime).0 == .probe)
        #expect(breaker.record(serverFault: true, duration: .zero, admission: .probe, now: probeTime) == .opened)
        #expect(breaker.state == .open(until: probeTime + .seconds(10)))
    }

    @Test func slowCallsOpen() {
        var breaker = CircuitBreaker(configuration: Self.configuration())
        for _ in 0..<4 { self.call(&breaker, fault: false, duration: .seconds(2), at: self.start) }
        #expect(self.call(&breaker, fault: false, duration: .seconds(2), at: self.start).1 == .opened)
    }

    @Test func windowSlides() {
        var breaker = CircuitBreaker(configuration: Self.configuration())
        for _ in 0..<10 { self.call(&breaker, fault: false, at: self.start) }
        // Each failure pushes the oldest success out of the 10-call window.
        for _ in 0..<4 { self.call(&breaker, fault: true, at: self.start) }
        #expect(breaker.state == .closed, "4 of the last 10 failed: under 50%")
        #expect(self.call(&breaker, fault: true, at: self.start).1 == .opened, "5 of the last 10")
    }

    @Test func abandonedProbeFreesItsPlace() {
        var configuration = Self.configuration()
        configuration.halfOpenProbes = 1
        var breaker = CircuitBreaker(configuration: configuration)
        for _ in 0..<5 { self.call(&breaker, fault: true, at: self.start) }
        let probeTime = self.start + .seconds(10)
        #expect(breaker.admit(now: probeTime).0 == .probe)
        breaker.probeAbandoned()
        #expect(breaker.admit(now: probeTime).0 == .probe)
    }
}
