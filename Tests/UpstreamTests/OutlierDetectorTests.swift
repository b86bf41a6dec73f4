import NIOCore
import Testing
import Upstream

/// Passive ejection: consecutive server faults, ejection time growing per ejection to a cap.
@Suite struct OutlierDetectorTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private static func configuration() -> OutlierDetector.Configuration {
        var configuration = OutlierDetector.Configuration()
        configuration.consecutiveFaults = 3
        configuration.baseEjectionTime = .seconds(10)
        configuration.maxEjectionTime = .seconds(25)
        return configuration
    }

    @Test func consecutiveFaultsEject() {
        var detector = OutlierDetector(configuration: Self.configuration())
        #expect(detector.record(serverFault: true) == false)
        #expect(detector.record(serverFault: true) == false)
        #expect(detector.record(serverFault: false) == false, "a success resets the run")
        #expect(detector.record(serverFault: true) == false)
        #expect(detector.record(serverFault: true) == false)
        #expect(detector.record(serverFault: true) == true)
        let until = detector.eject(now: self.start)
        #expect(until == self.start + .seconds(10))
        #expect(detector.isEjected(now: self.start + .seconds(9)))
        #expect(!detector.isEjected(now: self.start + .seconds(10)))
    }

    @Test func ejectionGrowsToCap() {
        var detector = OutlierDetector(configuration: Self.configuration())
        #expect(detector.eject(now: self.start) == self.start + .seconds(10))
        #expect(detector.returnIfDue(now: self.start + .seconds(10)) == true)
        #expect(detector.eject(now: self.start + .seconds(20)) == self.start + .seconds(40))
        #expect(detector.eject(now: self.start + .seconds(40)) == self.start + .seconds(65), "capped at 25 s")
        #expect(detector.ejections == 3)
    }

    @Test func decayForgivesWhileBack() {
        var detector = OutlierDetector(configuration: Self.configuration())
        _ = detector.eject(now: self.start)
        detector.decay()
        #expect(detector.ejections == 1, "no forgiveness while ejected")
        _ = detector.returnIfDue(now: self.start + .seconds(10))
        detector.decay()
        #expect(detector.ejections == 0)
    }

    @Test(arguments: [(1, 0.5, 1), (3, 0.5, 1), (4, 0.5, 2), (10, 0.3, 3), (2, 0.0, 1)])
    func ejectedShare(total: Int, share: Double, expected: Int) {
        #expect(OutlierDetector.maxEjected(of: total, share: share) == expected)
    }
}
