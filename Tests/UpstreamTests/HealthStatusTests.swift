import NIOCore
import Testing

@testable import Upstream

/// Health thresholds, Watch pushes applied at once, and the hand-decoded HealthCheckResponse.
@Suite struct HealthStatusTests {
    @Test func thresholds() {
        var health = HealthStatus(healthyThreshold: 2, unhealthyThreshold: 3)
        #expect(health.state == .unknown)
        #expect(health.admitsCalls)
        #expect(health.checkSucceeded() == .healthy, "the first answer settles an unknown endpoint")
        #expect(health.checkFailed() == nil)
        #expect(health.checkFailed() == nil)
        #expect(health.checkSucceeded() == nil, "a success resets the failures")
        #expect(health.checkFailed() == nil)
        #expect(health.checkFailed() == nil)
        #expect(health.checkFailed() == .unhealthy)
        #expect(!health.admitsCalls)
        #expect(health.checkSucceeded() == nil)
        #expect(health.checkSucceeded() == .healthy)
    }

    @Test func watchPushAppliesAtOnce() {
        var health = HealthStatus(healthyThreshold: 3, unhealthyThreshold: 3)
        #expect(health.watchReported(serving: true) == .healthy)
        #expect(health.watchReported(serving: false) == .unhealthy)
        #expect(health.watchReported(serving: false) == nil)
        #expect(health.watchReported(serving: true) == .healthy)
    }

    @Test(
        arguments: [
            ([], 0), ([0x08, 0x01], 1), ([0x08, 0x02], 2),
            // An unknown length-delimited field before the status is skipped.
            ([0x12, 0x02, 0x61, 0x62, 0x08, 0x03], 3),
            // Truncated varint.
            ([0x08, 0x80], nil),
        ] as [([UInt8], UInt64?)])
    func servingStatus(bytes: [UInt8], expected: UInt64?) {
        #expect(HealthChecker.servingStatus(ByteBuffer(bytes: bytes)) == expected)
    }
}
