import NIOCore

/// What the picker needs to know of an endpoint.
protocol PickableEndpoint: AnyObject {
    /// Healthy (or not yet checked) and not ejected.
    func isEligible(now: NIODeadline) -> Bool
    /// Some connection is ready with a free stream.
    var hasFreeStream: Bool { get }
    /// Some connection is coming up, or ready but full: a call can wait for it.
    var canServeSoon: Bool { get }
    /// Attempts in flight there.
    var inFlight: Int { get }
}

/// Chooses the endpoint for the next attempt: round-robin over eligible endpoints with a free
/// stream, or the less busy of two picked at random. Avoids the endpoint that just failed when
/// another can serve. Generic, so the pool's pick is specialised and allocates nothing.
struct EndpointPicker {
    enum Choice: Equatable {
        case endpoint(Int)
        /// Nothing free now, but a connection is coming up or will free a stream.
        case wait
        /// No endpoint can take the call (none resolved, eligible and connectable).
        case unavailable
    }

    let policy: ClusterConfiguration.LoadBalancing
    /// Where round-robin resumes.
    var next = 0

    init(policy: ClusterConfiguration.LoadBalancing) { self.policy = policy }

    mutating func pick<Endpoint: PickableEndpoint>(
        _ endpoints: [Endpoint], avoiding: Endpoint?, now: NIODeadline,
        random: (Int) -> Int = { Int.random(in: 0..<$0) }
    ) -> Choice {
        switch self.policy {
        case .roundRobin: self.roundRobin(endpoints, avoiding: avoiding, now: now)
        case .leastRequest: Self.leastRequest(endpoints, avoiding: avoiding, now: now, random: random)
        }
    }

    private mutating func roundRobin<Endpoint: PickableEndpoint>(
        _ endpoints: [Endpoint], avoiding: Endpoint?, now: NIODeadline
    ) -> Choice {
        let count = endpoints.count
        var canWait = false
        var fallback: Int?
        for offset in 0..<count {
            let index = (self.next + offset) % count
            let endpoint = endpoints[index]
            guard endpoint.isEligible(now: now) else { continue }
            if endpoint.hasFreeStream {
                if endpoint === avoiding, count > 1 {
                    fallback = fallback ?? index
                    continue
                }
                self.next = (index + 1) % count
                return .endpoint(index)
            }
            canWait = canWait || endpoint.canServeSoon
        }
        if let fallback { return .endpoint(fallback) }
        return canWait ? .wait : .unavailable
    }

    private static func leastRequest<Endpoint: PickableEndpoint>(
        _ endpoints: [Endpoint], avoiding: Endpoint?, now: NIODeadline, random: (Int) -> Int
    ) -> Choice {
        var candidates = 0
        var canWait = false
        var avoidedIndex: Int?
        for (index, endpoint) in endpoints.enumerated() where endpoint.isEligible(now: now) {
            if endpoint.hasFreeStream {
                if endpoint === avoiding { avoidedIndex = index } else { candidates += 1 }
            } else {
                canWait = canWait || endpoint.canServeSoon
            }
        }
        guard candidates > 0 else {
            if let avoidedIndex { return .endpoint(avoidedIndex) }
            return canWait ? .wait : .unavailable
        }
        // The n-th candidate, counting only eligible endpoints with a free stream, not the avoided one.
        func candidate(_ n: Int) -> Int {
            var seen = 0
            for (index, endpoint) in endpoints.enumerated()
            where endpoint.isEligible(now: now) && endpoint.hasFreeStream && endpoint !== avoiding {
                if seen == n { return index }
                seen += 1
            }
            preconditionFailure("fewer candidates than counted")
        }
        let firstDraw = random(candidates)
        let first = candidate(firstDraw)
        guard candidates > 1 else { return .endpoint(first) }
        // The second is drawn from the others: drawing one endpoint twice compares it with itself
        // (with two endpoints, the busier one would get a quarter of the calls).
        let secondDraw = random(candidates - 1)
        let second = candidate(secondDraw < firstDraw ? secondDraw : secondDraw + 1)
        return .endpoint(endpoints[second].inFlight < endpoints[first].inFlight ? second : first)
    }
}
