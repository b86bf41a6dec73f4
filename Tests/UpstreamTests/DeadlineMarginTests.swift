import CoreMetrics
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import Upstream

/// What an attempt sends upstream as `grpc-timeout` (and waits for): the caller's budget less the
/// configured margin for its own work after the answer, never less than half of what is left.
@Suite struct DeadlineMarginTests {
    private func pool(margin: Duration) -> LoopPool {
        var configuration = ClusterConfiguration(name: "margin", endpoints: [.init(host: "127.0.0.1", port: 1)])
        configuration.deadlineMargin = margin
        return LoopPool(
            eventLoop: EmbeddedEventLoop(), configuration: configuration, logger: Logger(label: "test"),
            metrics: UpstreamMetrics(cluster: "margin", factory: NOOPMetricsHandler.instance))
    }

    private let now = NIODeadline.uptimeNanoseconds(5_000_000_000)

    @Test func theMarginComesOffTheBudgetSentUpstream() {
        let pool = self.pool(margin: .milliseconds(5))
        #expect(pool.attemptDeadline(self.now + .seconds(1), now: self.now) == self.now + .milliseconds(995))
    }

    @Test func aShortBudgetKeepsAtLeastHalf() {
        let pool = self.pool(margin: .milliseconds(5))
        #expect(pool.attemptDeadline(self.now + .milliseconds(6), now: self.now) == self.now + .milliseconds(3))
    }

    @Test func noMarginOrNoBudgetLeavesTheDeadline() {
        #expect(
            self.pool(margin: .zero).attemptDeadline(self.now + .seconds(1), now: self.now) == self.now + .seconds(1))
        let passed = self.now - .milliseconds(1)
        #expect(self.pool(margin: .milliseconds(5)).attemptDeadline(passed, now: self.now) == passed)
    }
}
