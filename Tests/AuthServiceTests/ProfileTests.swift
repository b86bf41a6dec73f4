import AuthService
import Foundation
import Protos
import RPC
import Testing
import Tokens

@Suite("GetUser and UpdateProfile")
struct ProfileTests {
    @Test(
        "identity comes from x-halo-user-id; without a valid one the call is UNAUTHENTICATED",
        arguments: Backend.allCases)
    func identity(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let registered = try await harness.register()
            #expect(try await harness.getUser(as: registered.user.id).email == "alice@example.com")
            #expect(try await harness.getUser(as: registered.user.id.uppercased()).id == registered.user.id)
            await expectRPCError(.unauthenticated) { try await harness.getUser(as: nil) }
            await expectRPCError(.unauthenticated) { try await harness.getUser(as: "not-a-uuid") }
            await expectRPCError(.unauthenticated) { try await harness.getUser(as: UUID().uuidString) }
            await expectRPCError(.unauthenticated) { try await harness.updateProfile(as: nil, displayName: "x") }
        }
    }

    @Test("the display name changes; invalid names are refused", arguments: Backend.allCases)
    func displayName(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let id = try await harness.register().user.id
            let updated = try await harness.updateProfile(as: id, displayName: " Alice in Wonderland ")
            #expect(updated.displayName == "Alice in Wonderland")
            #expect(try await harness.getUser(as: id).displayName == "Alice in Wonderland")
            await expectRPCError(.invalidArgument) { try await harness.updateProfile(as: id, displayName: "") }
            await expectRPCError(.invalidArgument) {
                try await harness.updateProfile(as: id, displayName: String(repeating: "x", count: 65))
            }
            // An empty update changes nothing.
            #expect(try await harness.updateProfile(as: id) == updated)
        }
    }

    @Test("only adults may turn adult mode on: PERMISSION_DENIED otherwise", arguments: Backend.allCases)
    func adultMode(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let minor = try await harness.register(email: "kid@example.com", username: "kid", birthDate: "2010-03-04")
            #expect(!minor.user.isAdult)
            let denied = await expectRPCError(.permissionDenied) {
                try await harness.updateProfile(as: minor.user.id, adultMode: true)
            }
            #expect(denied?.message == "adult mode is only for users aged 18 or over")
            let undated = try await harness.register(email: "anon@example.com", username: "anon")
            await expectRPCError(.permissionDenied) {
                try await harness.updateProfile(as: undated.user.id, adultMode: true)
            }
            // Turning it off is always allowed; a refused call changes nothing else either.
            #expect(try await harness.updateProfile(as: minor.user.id, adultMode: false).adultMode == false)
            await expectRPCError(.permissionDenied) {
                try await harness.updateProfile(as: minor.user.id, displayName: "Grown Up", adultMode: true)
            }
            #expect(try await harness.getUser(as: minor.user.id).displayName == "kid")

            let adult = try await harness.register(email: "ada@example.com", username: "ada", birthDate: "1990-01-01")
            let on = try await harness.updateProfile(as: adult.user.id, adultMode: true)
            #expect(on.adultMode && on.isAdult)
            let verifier = try await harness.verifier()
            // Tokens say adult only for adults in adult mode.
            #expect(try verifier.verify(adult.accessToken).adult == false)
            let session = try await harness.login(email: "ada@example.com")
            #expect(try verifier.verify(session.accessToken).adult == true)
            #expect(try verifier.verify(try await harness.refresh(session.refreshToken).accessToken).adult == true)
            _ = try await harness.updateProfile(as: adult.user.id, adultMode: false)
            #expect(try verifier.verify(try await harness.login(email: "ada@example.com").accessToken).adult == false)
        }
    }

    @Test("users become adults on their 18th birthday (UTC)", arguments: Backend.allCases)
    func eighteenthBirthday(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            // The clock starts at 2026-01-01T00:00:00Z.
            let user = try await harness.register(birthDate: "2008-01-02").user
            #expect(!user.isAdult)
            await expectRPCError(.permissionDenied) { try await harness.updateProfile(as: user.id, adultMode: true) }
            harness.clock.advance(by: 24 * 3600)
            #expect(try await harness.getUser(as: user.id).isAdult)
            #expect(try await harness.updateProfile(as: user.id, adultMode: true).adultMode)
        }
    }
}
