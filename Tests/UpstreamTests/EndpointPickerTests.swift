import NIOCore
import Testing

@testable import Upstream

/// The pool's pick as data: round-robin over eligible endpoints with a free stream, waiting
/// versus failing fast, avoiding the endpoint that just failed, and least-request of two.
@Suite struct EndpointPickerTests {
    final class FakeEndpoint: PickableEndpoint {
        var eligible = true
        var hasFreeStream = true
        var canServeSoon = true
        var inFlight = 0
        var ejectedUntil: NIODeadline?

        func isEligible(now: NIODeadline) -> Bool {
            guard self.eligible else { return false }
            if let until = self.ejectedUntil { return now >= until }
            return true
        }
    }

    private let now = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func endpoints(_ count: Int) -> [FakeEndpoint] { (0..<count).map { _ in FakeEndpoint() } }

    @Test func roundRobinCyclesEvenly() {
        var picker = EndpointPicker(policy: .roundRobin)
        let endpoints = self.endpoints(3)
        var counts = [0, 0, 0]
        for _ in 0..<300 {
            guard case .endpoint(let index) = picker.pick(endpoints, avoiding: nil, now: self.now) else {
                Issue.record("every endpoint can serve")
                return
            }
            counts[index] += 1
        }
        #expect(counts == [100, 100, 100])
    }

    @Test func roundRobinSkipsIneligibleAndFull() {
        var picker = EndpointPicker(policy: .roundRobin)
        let endpoints = self.endpoints(3)
        endpoints[0].eligible = false
        endpoints[1].hasFreeStream = false
        #expect(picker.pick(endpoints, avoiding: nil, now: self.now) == .endpoint(2))
        #expect(picker.pick(endpoints, avoiding: nil, now: self.now) == .endpoint(2))
    }

    @Test func ejectionEndsWithTheClock() {
        var picker = EndpointPicker(policy: .roundRobin)
        let endpoints = self.endpoints(2)
        endpoints[0].ejectedUntil = self.now + .seconds(30)
        for _ in 0..<4 { #expect(picker.pick(endpoints, avoiding: nil, now: self.now) == .endpoint(1)) }
        let later = self.now + .seconds(30)
        let picks = (0..<4).map { _ in picker.pick(endpoints, avoiding: nil, now: later) }
        #expect(picks.contains(.endpoint(0)))
    }

    @Test func waitWhileConnectingFailFastWhenAllDown() {
        var picker = EndpointPicker(policy: .roundRobin)
        let endpoints = self.endpoints(2)
        for endpoint in endpoints { endpoint.hasFreeStream = false }
        #expect(picker.pick(endpoints, avoiding: nil, now: self.now) == .wait)
        for endpoint in endpoints { endpoint.canServeSoon = false }
        #expect(picker.pick(endpoints, avoiding: nil, now: self.now) == .unavailable)
        endpoints[0].canServeSoon = true
        endpoints[0].eligible = false
        #expect(picker.pick(endpoints, avoiding: nil, now: self.now) == .unavailable, "unhealthy: no point waiting")
        #expect(picker.pick([FakeEndpoint](), avoiding: nil, now: self.now) == .unavailable)
    }

    @Test func retryAvoidsTheFailedEndpoint() {
        for policy in [ClusterConfiguration.LoadBalancing.roundRobin, .leastRequest] {
            var picker = EndpointPicker(policy: policy)
            let endpoints = self.endpoints(2)
            for _ in 0..<10 {
                #expect(picker.pick(endpoints, avoiding: endpoints[0], now: self.now) == .endpoint(1))
            }
            // The only one that can serve is used even if it just failed.
            endpoints[1].hasFreeStream = false
            #expect(picker.pick(endpoints, avoiding: endpoints[0], now: self.now) == .endpoint(0))
        }
    }

    @Test func leastRequestTakesTheLessBusyOfTwo() {
        var picker = EndpointPicker(policy: .leastRequest)
        let endpoints = self.endpoints(3)
        endpoints[0].inFlight = 9
        endpoints[1].inFlight = 2
        endpoints[2].inFlight = 5
        // The second draw is among the others: 0 then 0 is endpoints 0 and 1.
        var draws = [0, 0].makeIterator()
        let first = picker.pick(endpoints, avoiding: nil, now: self.now) { _ in draws.next()! }
        #expect(first == .endpoint(1))
        draws = [2, 0].makeIterator()
        let second = picker.pick(endpoints, avoiding: nil, now: self.now) { _ in draws.next()! }
        #expect(second == .endpoint(2))
        endpoints[2].hasFreeStream = false
        draws = [1, 0].makeIterator()
        let third = picker.pick(endpoints, avoiding: nil, now: self.now) { _ in draws.next()! }
        #expect(third == .endpoint(1))
    }

    @Test func leastRequestNeverDrawsOneEndpointTwice() {
        var picker = EndpointPicker(policy: .leastRequest)
        let endpoints = self.endpoints(2)
        endpoints[0].inFlight = 5
        // A source drawing index 0 every time still yields two different endpoints.
        #expect(picker.pick(endpoints, avoiding: nil, now: self.now) { _ in 0 } == .endpoint(1))
        // So of two endpoints, the less busy one gets every call (a repeated draw gave the busy
        // one a quarter of them).
        let picks = (0..<1000).map { _ in picker.pick(endpoints, avoiding: nil, now: self.now) }
        #expect(picks.filter { $0 == .endpoint(1) }.count == 1000)
        // Also with the avoided endpoint left out, and the highest draws: three endpoints, two candidates.
        let three = self.endpoints(3)
        three[2].inFlight = 5
        #expect(picker.pick(three, avoiding: three[0], now: self.now) { $0 - 1 } == .endpoint(1))
    }
}
