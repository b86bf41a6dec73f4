import RPC
import Testing
import Upstream

@testable import Gateway

/// What a client sees when the upstream layer refuses a call without a backend call (open
/// breaker, full request limits, no usable endpoint): 503 with a Retry-After in whole seconds,
/// rounded up, and a fixed sentence rather than the layer's own message.
@Suite struct UpstreamProblemTests {
    private static func rejected(
        _ reason: UpstreamFailure.Reason, retryAfter: Duration?, message: String = "internal detail"
    ) -> UpstreamFailure {
        UpstreamFailure(
            reason: reason,
            failure: CallFailure(RPCError(code: .unavailable, message: message), origin: .local, processing: .notSent),
            retryAfter: retryAfter, attempts: 0)
    }

    private static func retryAfter(_ problem: Problem) -> [String] {
        problem.headers.filter { $0.name == "retry-after" }.map(\.value)
    }

    @Test(arguments: [UpstreamFailure.Reason.circuitOpen, .overloaded, .noEndpoint])
    func rejectionsAre503WithRetryAfter(reason: UpstreamFailure.Reason) {
        let problem = UpstreamProblem.problem(for: Self.rejected(reason, retryAfter: .seconds(7)))
        #expect(problem.status == 503)
        #expect(problem.code == .unavailable)
        #expect(Self.retryAfter(problem) == ["7"])
        #expect(!problem.detail.contains("internal detail"), "the layer's message stays inside")
    }

    @Test(arguments: [UpstreamFailure.Reason.circuitOpen, .overloaded, .noEndpoint])
    func retryAfterIsWholeSecondsRoundedUpAndNeverMissing(reason: UpstreamFailure.Reason) {
        let cases: [(Duration?, String)] = [
            (nil, "1"),
            (.milliseconds(1), "1"),
            (.milliseconds(1000), "1"),
            (.milliseconds(1001), "2"),
            (.milliseconds(29_400), "30"),
        ]
        for (retryAfter, expected) in cases {
            let problem = UpstreamProblem.problem(for: Self.rejected(reason, retryAfter: retryAfter))
            #expect(problem.status == 503)
            #expect(Self.retryAfter(problem) == [expected], "\(reason), retry after \(String(describing: retryAfter))")
        }
    }
}
