import AuthService
import Foundation
import Protos
import RPC
import SwiftProtobuf
import Testing

@Suite("Login")
struct LoginTests {
    @Test("logs in with the email in any case; the password as registered", arguments: Backend.allCases)
    func login(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let registered = try await harness.register()
            let response = try await harness.login(email: "ALICE@example.com")
            #expect(response.user == registered.user)
            #expect(response.refreshToken != registered.refreshToken)
            #expect(response.accessToken != registered.accessToken)
        }
    }

    @Test("NFC and NFD spellings of a password are the same password", arguments: Backend.allCases)
    func unicodePassword(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            _ = try await harness.register(password: "cr\u{E8}me br\u{FB}l\u{E9}e 🔑")
            _ = try await harness.login(password: "cre\u{300}me bru\u{302}le\u{301}e 🔑")
        }
    }

    @Test("unknown email and wrong password get the same answer in similar time", arguments: Backend.allCases)
    func noEnumeration(backend: Backend) async throws {
        try await AuthHarness.with(backend, exclusive: true) { harness in
            _ = try await harness.register()
            var wrongTimes: [Duration] = []
            var unknownTimes: [Duration] = []
            var answers: Set<String> = []
            let clock = ContinuousClock()
            for round in 0..<5 {
                var error: RPCError?
                wrongTimes.append(
                    await clock.measure {
                        error = await expectRPCError(.unauthenticated) {
                            try await harness.login(password: "wrong password \(round)")
                        }
                    })
                answers.insert("\(error?.code.name ?? "") \(error?.message ?? "") \(error?.metadata.count ?? -1)")
                unknownTimes.append(
                    await clock.measure {
                        error = await expectRPCError(.unauthenticated) {
                            try await harness.login(email: "nobody\(round)@example.com", password: "wrong password")
                        }
                    })
                answers.insert("\(error?.code.name ?? "") \(error?.message ?? "") \(error?.metadata.count ?? -1)")
            }
            #expect(answers == ["UNAUTHENTICATED invalid email or password 0"])
            // Both run one Argon2id verification (tens of milliseconds); without the dummy hash an unknown
            // email would answer in a few. Medians, with no other service running, within a factor of two.
            let wrong = wrongTimes.sorted()[2]
            let unknown = unknownTimes.sorted()[2]
            #expect(unknown > wrong / 2, "unknown email \(unknown), wrong password \(wrong)")
            #expect(wrong > unknown / 2, "unknown email \(unknown), wrong password \(wrong)")
        }
    }

    @Test(
        "a wrong password of any length up to the byte cap is UNAUTHENTICATED, like an unknown email; only beyond it is the request refused",
        arguments: Backend.allCases)
    func wrongPasswordOfAnyLength(backend: Backend) async throws {
        try await AuthHarness.with(backend, configure: { $0.loginThrottle = LoginThrottle(maximumFailures: 100) }) {
            harness in
            _ = try await harness.register()
            let cap = 4096
            let wrong = [
                "", "s", "short", "7 chars", String(repeating: "x", count: 129),
                String(repeating: "\u{E9}", count: cap / 2),
                String(repeating: "x", count: cap),
            ]
            var answers: Set<String> = []
            for (round, password) in wrong.enumerated() {
                let known = await expectRPCError(.unauthenticated) { try await harness.login(password: password) }
                let unknown = await expectRPCError(.unauthenticated) {
                    try await harness.login(email: "nobody\(round)@example.com", password: password)
                }
                for error in [known, unknown] {
                    answers.insert("\(error?.code.name ?? "") \(error?.message ?? "") \(error?.metadata.count ?? -1)")
                }
            }
            #expect(answers == ["UNAUTHENTICATED invalid email or password 0"])
            // Beyond the cap the request is refused before any work, for any email alike.
            for password in [String(repeating: "x", count: cap + 1), String(repeating: "x", count: 1 << 20)] {
                let known = await expectRPCError(.invalidArgument) { try await harness.login(password: password) }
                let unknown = await expectRPCError(.invalidArgument) {
                    try await harness.login(email: "nobody@example.com", password: password)
                }
                #expect(known?.message == unknown?.message)
            }
            await expectRPCError(.invalidArgument) { try await harness.login(email: "") }
            _ = try await harness.login()
        }
    }

    @Test("wrong passwords outside Register's length rules count toward the lockout", arguments: Backend.allCases)
    func shortWrongPasswordsCount(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            _ = try await harness.register()
            for password in ["", "short", "1234567", String(repeating: "y", count: 200), "wrong password"] {
                await expectRPCError(.unauthenticated) { try await harness.login(password: password) }
            }
            await expectRPCError(.resourceExhausted) { try await harness.login() }
        }
    }

    @Test("five failures lock the account for 15 minutes with retry-after, then it opens", arguments: Backend.allCases)
    func lockout(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            _ = try await harness.register()
            for minute in 0..<5 {
                await expectRPCError(.unauthenticated) { try await harness.login(password: "wrong password") }
                harness.clock.advance(by: minute < 4 ? 60 : 30)
            }
            // Failures at 0, 1, 2, 3 and 4 minutes; now is 4:30, the first leaves the window at 15:00.
            let locked = await expectRPCError(.resourceExhausted) { try await harness.login() }
            #expect(locked?.metadata["retry-after"] == "630")
            #expect(locked?.message == "too many failed logins; try again in 630 seconds")
            // The correct password does not get through, from another connection either.
            let other = ClientConnection(host: harness.client.host, port: harness.client.port)
            let fromElsewhere = await expectRPCError(.resourceExhausted) {
                try await other.unary(
                    AuthMethods.login,
                    Halo_Auth_V1_LoginRequest.with {
                        $0.email = "Alice@Example.com"
                        $0.password = "correct horse"
                    }, as: Halo_Auth_V1_TokenResponse.self)
            }
            #expect(fromElsewhere?.metadata["retry-after"] == "630")
            await other.close()

            harness.clock.advance(by: 629)
            await expectRPCError(.resourceExhausted) { try await harness.login() }
            harness.clock.advance(by: 1)
            _ = try await harness.login()
            // A success clears the count: four more failures do not lock.
            for _ in 0..<4 {
                await expectRPCError(.unauthenticated) { try await harness.login(password: "wrong pass") }
            }
            _ = try await harness.login()
        }
    }

    @Test("a parallel burst of wrong passwords gets five guesses, not one per request", arguments: Backend.allCases)
    func parallelBurst(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            _ = try await harness.register()
            let codes = await withTaskGroup(of: RPCError.Code?.self) { group in
                for round in 0..<12 {
                    group.addTask {
                        do {
                            _ = try await harness.login(password: "guess number \(round)")
                            return nil
                        } catch {
                            return (error as? RPCError)?.code ?? .unknown
                        }
                    }
                }
                var codes: [RPCError.Code?] = []
                for await code in group { codes.append(code) }
                return codes
            }
            #expect(codes.filter { $0 == .unauthenticated }.count == 5)
            #expect(codes.filter { $0 == .resourceExhausted }.count == 7)
            #expect(try await harness.count("login_failures") == 5)
        }
    }

    @Test("unknown emails are throttled exactly like accounts", arguments: Backend.allCases)
    func lockoutUnknownEmail(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            for _ in 0..<5 {
                await expectRPCError(.unauthenticated) { try await harness.login(email: "ghost@example.com") }
            }
            let locked = await expectRPCError(.resourceExhausted) {
                try await harness.login(email: "ghost@example.com")
            }
            #expect(locked?.metadata["retry-after"] == "900")
            // Other accounts are not affected.
            _ = try await harness.register()
            _ = try await harness.login()
        }
    }

    @Test(
        "expired failures of addresses never tried again are pruned, a bounded batch per failed login",
        arguments: Backend.allCases)
    func sprayedFailuresArePruned(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let batch = SQLAuthStore.loginFailurePruneBatch
            let sprayed = batch + 4
            // Password spraying: one guess at each of many addresses, none of them tried again.
            for round in 0..<sprayed {
                await expectRPCError(.unauthenticated) {
                    try await harness.login(email: "target\(round)@example.com", password: "spray password")
                }
            }
            let before = try await harness.count("login_failures")
            #expect(before == sprayed)
            harness.clock.advance(by: 15 * 60 + 1)
            // Each later failure adds its row and removes at most a batch of the oldest expired ones.
            await expectRPCError(.unauthenticated) { try await harness.login(email: "later@example.com") }
            #expect(try await harness.count("login_failures") == sprayed - batch + 1)
            await expectRPCError(.unauthenticated) { try await harness.login(email: "later@example.com") }
            #expect(try await harness.count("login_failures") == 2)
        }
    }

    @Test("failures older than 15 minutes do not count", arguments: Backend.allCases)
    func slidingWindow(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            _ = try await harness.register()
            for _ in 0..<4 {
                await expectRPCError(.unauthenticated) { try await harness.login(password: "wrong pass") }
            }
            harness.clock.advance(by: 15 * 60 + 1)
            for _ in 0..<4 {
                await expectRPCError(.unauthenticated) { try await harness.login(password: "wrong pass") }
            }
            _ = try await harness.login()
        }
    }
}
