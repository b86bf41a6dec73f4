import RPC
import Testing
import Upstream

/// Which failures are retried, the backoff, and the budget that keeps retries from storming.
@Suite struct RetryPolicyTests {
    private static let idempotent = MethodDescriptor(service: "s.S", method: "Get", isIdempotent: true)
    private static let write = MethodDescriptor(service: "s.S", method: "Like")

    private static func failure(
        _ code: RPCError.Code, _ origin: CallFailure.Origin = .server,
        _ processing: CallFailure.Processing = .mayHaveBeenProcessed
    ) -> CallFailure {
        CallFailure(RPCError(code: code, message: ""), origin: origin, processing: processing)
    }

    @Test func writesAreRetriedOnlyWhenSurelyUnprocessed() {
        let policy = RetryPolicy()
        #expect(!policy.allowsRetry(after: Self.failure(.unavailable), attempt: 1, method: Self.write))
        #expect(!policy.allowsRetry(after: Self.failure(.unavailable, .local), attempt: 1, method: Self.write))
        #expect(policy.allowsRetry(after: Self.failure(.unavailable, .local, .refused), attempt: 1, method: Self.write))
        #expect(policy.allowsRetry(after: Self.failure(.unavailable, .local, .notSent), attempt: 1, method: Self.write))
    }

    @Test func idempotentMethodsRetryRetryableCodes() {
        let policy = RetryPolicy()
        #expect(policy.allowsRetry(after: Self.failure(.unavailable), attempt: 1, method: Self.idempotent))
        #expect(policy.allowsRetry(after: Self.failure(.unavailable, .local), attempt: 2, method: Self.idempotent))
        #expect(!policy.allowsRetry(after: Self.failure(.unavailable), attempt: 3, method: Self.idempotent))
        #expect(!policy.allowsRetry(after: Self.failure(.invalidArgument), attempt: 1, method: Self.idempotent))
        #expect(!policy.allowsRetry(after: Self.failure(.notFound), attempt: 1, method: Self.idempotent))
    }

    @Test func ownDeadlineAndCancellationAreFinal() {
        let policy = RetryPolicy()
        #expect(
            !policy.allowsRetry(
                after: Self.failure(.deadlineExceeded, .local, .notSent), attempt: 1, method: Self.idempotent))
        #expect(
            !policy.allowsRetry(after: Self.failure(.cancelled, .local, .notSent), attempt: 1, method: Self.idempotent))
    }

    @Test func backoffIsJitteredExponentialAndCapped() {
        let policy = RetryPolicy()
        #expect(policy.backoff(beforeRetry: 1, random: 1) == .milliseconds(25))
        #expect(policy.backoff(beforeRetry: 2, random: 1) == .milliseconds(50))
        #expect(policy.backoff(beforeRetry: 3, random: 0.5) == .milliseconds(50))
        #expect(policy.backoff(beforeRetry: 10, random: 1) == .milliseconds(250))
        #expect(policy.backoff(beforeRetry: 1, random: 0) == .zero)
    }

    @Test func budgetIsAShareOfActiveWithAMinimum() {
        var budget = RetryBudget(share: 0.2, minimum: 3)
        for _ in 0..<10 { budget.requestStarted() }
        #expect(budget.tryStartRetry() == true)
        #expect(budget.tryStartRetry() == true)
        #expect(budget.tryStartRetry() == true)
        #expect(budget.tryStartRetry() == false, "10 active: max(3, 2) retries")
        for _ in 0..<10 { budget.requestStarted() }
        #expect(budget.tryStartRetry() == true, "20 active: 4 retries")
        #expect(budget.tryStartRetry() == false)
        budget.retryFinished()
        #expect(budget.tryStartRetry() == true)
    }
}
