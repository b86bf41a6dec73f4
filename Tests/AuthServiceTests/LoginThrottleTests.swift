import AuthService
import Foundation
import Testing

@Suite("Login throttle")
struct LoginThrottleTests {
    let throttle = LoginThrottle.defaults
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("four failures in the window allow another try; the fifth locks")
    func fiveFailuresLock() {
        let failures = (0..<4).map { self.start.addingTimeInterval(Double($0) * 60) }
        #expect(self.throttle.retryAfter(failures: failures, now: self.start.addingTimeInterval(300)) == nil)
        let five = failures + [self.start.addingTimeInterval(240)]
        // The first failure leaves the 15-minute window at start + 900.
        #expect(self.throttle.retryAfter(failures: five, now: self.start.addingTimeInterval(300)) == 600)
        #expect(self.throttle.retryAfter(failures: five, now: self.start.addingTimeInterval(899.5)) == 1)
        #expect(self.throttle.retryAfter(failures: five, now: self.start.addingTimeInterval(900)) == nil)
    }

    @Test("with more than five failures the lock lasts until only four remain in the window")
    func manyFailures() {
        let failures = (0..<7).map { self.start.addingTimeInterval(Double($0) * 10) }
        // Failures at 0..60 s; four remain once those at 0, 10 and 20 s are out: at 20 + 900.
        #expect(self.throttle.retryAfter(failures: failures, now: self.start.addingTimeInterval(100)) == 820)
    }

    @Test("account keys hash the email, so no address is stored in clear")
    func accountKey() {
        let key = LoginThrottle.accountKey(email: "alice@example.com")
        #expect(key.count == 64)
        #expect(!key.contains("alice"))
        #expect(key == LoginThrottle.accountKey(email: "alice@example.com"))
        #expect(key != LoginThrottle.accountKey(email: "bob@example.com"))
    }
}
