import AuthService
import Foundation
import HealthProtos
import Protos
import RPC
import Testing

@Suite("Database faults")
struct FaultTests {
    @Test(
        "database down: UNAVAILABLE (never INTERNAL or a wrong password), NOT_SERVING, no failed login counted",
        arguments: Backend.allCases)
    func databaseDown(backend: Backend) async throws {
        try await AuthHarness.with(backend, proxied: true) { harness in
            let registered = try await harness.register()
            #expect(try await harness.healthStatus() == .serving)
            await harness.takeDatabaseDown()
            for _ in 0..<6 {
                let error = await expectRPCError(.unavailable) { try await harness.login(password: "wrong password") }
                #expect(error?.message.contains("SELECT") == false)
            }
            await expectRPCError(.unavailable) { try await harness.login() }
            await expectRPCError(.unavailable) { try await harness.register(email: "new@example.com", username: "new") }
            await expectRPCError(.unavailable) { try await harness.refresh(registered.refreshToken) }
            await expectRPCError(.unavailable) { try await harness.getUser(as: registered.user.id) }
            // Tokens are signed without the database and the keys are in memory: JWKS still answers.
            #expect(try await harness.jwks().keys.count == 1)
            try await harness.waitForHealth(.notServing)

            harness.bringDatabaseBack()
            try await harness.waitForHealth(.serving)
            // None of the attempts while it was down counted: four failures now still do not lock.
            for _ in 0..<4 {
                await expectRPCError(.unauthenticated) { try await harness.login(password: "wrong pass") }
            }
            _ = try await harness.login()
            // The registration that failed left nothing behind.
            _ = try await harness.register(email: "new@example.com", username: "new")
            // The session survived the outage.
            _ = try await harness.refresh(registered.refreshToken)
        }
    }

    @Test("a failure in the middle of registering leaves no half-created user", arguments: Backend.allCases)
    func atomicRegistration(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            // The user row is written, then the first session's token fails: the transaction rolls back.
            harness.statementFaults.fail(statementsStartingWith: #"INSERT INTO "refresh_tokens""#)
            await expectRPCError(.unavailable) { try await harness.register() }
            #expect(try await harness.count("users") == 0)
            #expect(try await harness.count("refresh_tokens") == 0)
            harness.statementFaults.clear()
            let user = try await harness.register().user
            #expect(try await harness.count("users") == 1)
            #expect(try await harness.getUser(as: user.id) == user)
        }
    }

    @Test("a failure while rotating a refresh token leaves the old one unspent", arguments: Backend.allCases)
    func atomicRotation(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let registered = try await harness.register()
            harness.statementFaults.fail(statementsStartingWith: #"INSERT INTO "refresh_tokens""#)
            await expectRPCError(.unavailable) { try await harness.refresh(registered.refreshToken) }
            harness.statementFaults.clear()
            // Not spent, so presenting it again is no reuse: the family is intact.
            let rotated = try await harness.refresh(registered.refreshToken)
            _ = try await harness.refresh(rotated.refreshToken)
        }
    }
}
