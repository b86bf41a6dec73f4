import Foundation
import MetricsTestKit
import NIOCore
import RPC
import Testing
import Upstream

/// The retry budget against real backends that answer every call UNAVAILABLE: retries cannot
/// storm a failing cluster. At most `budgetShare` of the requests in flight (at least
/// `minRetryConcurrency`) may be retries at once; a call that finds no room ends with its first
/// failure, and is counted as refused.
@Suite(.serialized) struct RetryBudgetTests {
    @Test func retriesInFlightStayWithinTheBudget() async throws {
        let replicas = try startReplicas(2)
        let calls = 20
        let metrics = TestMetrics()
        let results = try await withCluster(
            replicas, metrics: metrics,
            configure: {
                $0.healthCheck = nil
                $0.retry.maxAttempts = 2
                $0.retry.budgetShare = 0.2
                $0.retry.minRetryConcurrency = 3
                // Failures are the point here: neither the breaker nor ejection may step in.
                $0.circuitBreaker.minimumCalls = 1000
                $0.circuitBreaker.windowSize = 1000
                $0.outlierDetection.consecutiveFaults = 1000
            }
        ) { cluster in
            // Each attempt fails after 2 s: every first attempt has failed before the first retry
            // ends and gives its place back, so the budget is judged with all twenty in flight.
            let tasks = (0..<calls).map { _ in
                Task {
                    await cluster.result(
                        TestMethods.idempotentEcho, TestMethods.echo(failCode: 14, delayMs: 2000), timeout: .seconds(15)
                    )
                }
            }
            var results: [Result<UpstreamResponse, UpstreamFailure>] = []
            for task in tasks { results.append(await task.value) }
            let loop = await cluster.snapshot().loops[0]
            #expect(loop.activeRequests == 0 && loop.activeRetries == 0, "every request and retry gave its place back")
            return results
        }
        var attempts: [Int] = []
        for result in results {
            guard case .failure(let failure) = result, failure.code == .unavailable else {
                Issue.record("expected UNAVAILABLE from the backend: \(result)")
                continue
            }
            attempts.append(failure.attempts)
        }
        let retried = attempts.filter { $0 == 2 }.count
        // Twenty in flight allow max(3, 20 × 0.2) = 4 retries at once; without a budget all
        // twenty would go again.
        #expect(retried >= 1 && retried <= 4, "\(retried) calls retried: \(attempts)")
        #expect(attempts.allSatisfy { $0 == 1 || $0 == 2 })
        let cluster = [("cluster", "test")]
        #expect(metrics.counterTotal(label: "upstream.retries", dimensions: cluster) == Int64(retried))
        #expect(
            metrics.counterTotal(label: "upstream.retries.over_budget", dimensions: cluster)
                == Int64(calls - retried),
            "each call the budget refused is counted")
    }
}
