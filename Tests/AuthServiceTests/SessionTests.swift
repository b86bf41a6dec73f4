import AuthService
import Foundation
import Protos
import RPC
import Testing
import Tokens

@Suite("Refresh and logout")
struct SessionTests {
    @Test("refresh rotates the token: the new one works, the old one is spent", arguments: Backend.allCases)
    func rotation(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let registered = try await harness.register()
            let first = try await harness.refresh(registered.refreshToken)
            #expect(first.refreshToken != registered.refreshToken)
            #expect(first.user == registered.user)
            #expect(first.expiresIn == 900)
            let second = try await harness.refresh(first.refreshToken)
            #expect(second.refreshToken != first.refreshToken)
            let verifier = try await harness.verifier()
            #expect(try verifier.verify(second.accessToken).subject == registered.user.id)
        }
    }

    @Test("reusing a spent token revokes its whole family, and only that family", arguments: Backend.allCases)
    func reuseRevokesFamily(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let registered = try await harness.register()
            let otherSession = try await harness.login()
            let rotated = try await harness.refresh(registered.refreshToken)
            // The spent token comes back (a thief or a replay): refused, and the family is gone.
            let reuse = await expectRPCError(.unauthenticated) { try await harness.refresh(registered.refreshToken) }
            #expect(reuse?.message == "refresh token is invalid, expired or revoked")
            await expectRPCError(.unauthenticated) { try await harness.refresh(rotated.refreshToken) }
            // The session from the separate login is another family and still works.
            _ = try await harness.refresh(otherSession.refreshToken)
        }
    }

    @Test("two concurrent refreshes with one token: at most one wins", arguments: Backend.allCases)
    func concurrentRefresh(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let registered = try await harness.register()
            let winners = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<3 {
                    group.addTask { try? await harness.refresh(registered.refreshToken).refreshToken }
                }
                var winners: [String] = []
                for await token in group { if let token { winners.append(token) } }
                return winners
            }
            #expect(winners.count <= 1)
        }
    }

    @Test("logout revokes the family; logging out again or with junk succeeds", arguments: Backend.allCases)
    func logout(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let registered = try await harness.register()
            let rotated = try await harness.refresh(registered.refreshToken)
            try await harness.logout(registered.refreshToken)
            await expectRPCError(.unauthenticated) { try await harness.refresh(rotated.refreshToken) }
            try await harness.logout(rotated.refreshToken)
            try await harness.logout("")
            try await harness.logout("not-a-token")
            try await harness.logout(String(repeating: "A", count: 43))
        }
    }

    @Test("malformed, unknown and expired refresh tokens are refused alike", arguments: Backend.allCases)
    func invalidTokens(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let registered = try await harness.register()
            for token in ["", "x", String(repeating: "A", count: 43), registered.refreshToken + "A", "' OR 1=1 --"] {
                let error = await expectRPCError(.unauthenticated) { try await harness.refresh(token) }
                #expect(error?.message == "refresh token is invalid, expired or revoked")
            }
            // Refresh tokens live 30 days.
            harness.clock.advance(by: 30 * 24 * 3600 - 1)
            let fresh = try await harness.refresh(registered.refreshToken)
            harness.clock.advance(by: 30 * 24 * 3600)
            await expectRPCError(.unauthenticated) { try await harness.refresh(fresh.refreshToken) }
        }
    }
}
