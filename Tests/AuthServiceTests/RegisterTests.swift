import AuthService
import Foundation
import Protos
import RPC
import SwiftProtobuf
import Testing

@Suite("Register")
struct RegisterTests {
    @Test("creates the account and logs it in", arguments: Backend.allCases)
    func register(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let response = try await harness.register(
                email: "Alice@Example.com", username: "Alice_1", birthDate: "1990-05-17")
            let user = response.user
            #expect(UUID(uuidString: user.id) != nil)
            #expect(user.id == user.id.lowercased())
            #expect(user.email == "alice@example.com")
            #expect(user.username == "Alice_1")
            #expect(user.displayName == "Alice_1")
            #expect(user.birthDate == "1990-05-17")
            #expect(user.isAdult)
            #expect(!user.adultMode)
            #expect(!user.isAdmin)
            #expect(user.createdAt.date == ManualClock.start)
            #expect(response.tokenType == "Bearer")
            #expect(response.expiresIn == 900)
            #expect(response.refreshToken.utf8.count == 43)
            #expect(response.accessToken.split(separator: ".").count == 3)
            // The account is the one GetUser sees.
            #expect(try await harness.getUser(as: user.id) == user)
        }
    }

    @Test("display name and birth date are optional; empty counts as absent", arguments: Backend.allCases)
    func optionalFields(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let named = try await harness.register(displayName: "  Alice Liddell ")
            #expect(named.user.displayName == "Alice Liddell")
            #expect(named.user.birthDate == "")
            #expect(!named.user.isAdult)
            let empty = try await harness.register(
                email: "bob@example.com", username: "bob", displayName: "", birthDate: "")
            #expect(empty.user.displayName == "bob")
            #expect(empty.user.birthDate == "")
        }
    }

    /// Each case breaks one rule; none of them reaches the hasher or the store.
    static let invalidRequests: [(String, Halo_Auth_V1_RegisterRequest)] = {
        func request(_ change: (inout Halo_Auth_V1_RegisterRequest) -> Void) -> Halo_Auth_V1_RegisterRequest {
            var request = Halo_Auth_V1_RegisterRequest.with {
                $0.email = "carol@example.com"
                $0.username = "carol"
                $0.password = "correct horse"
            }
            change(&request)
            return request
        }
        return [
            ("missing email", request { $0.email = "" }),
            ("email without domain", request { $0.email = "carol@" }),
            ("email with two @", request { $0.email = "carol@x@example.com" }),
            (
                "email too long",
                request {
                    $0.email = String(repeating: "a", count: 64) + "@" + String(repeating: "b.", count: 100) + "com"
                }
            ),
            ("injection in email", request { $0.email = "' OR '1'='1@example.com" }),
            ("username too short", request { $0.username = "ab" }),
            ("username too long", request { $0.username = String(repeating: "c", count: 31) }),
            ("username with a dash", request { $0.username = "car-ol" }),
            ("username with unicode", request { $0.username = "carölina" }),
            ("password empty", request { $0.password = "" }),
            ("password of 7", request { $0.password = "1234567" }),
            ("password of 129", request { $0.password = String(repeating: "p", count: 129) }),
            ("password of 1 MB", request { $0.password = String(repeating: "p", count: 1 << 20) }),
            ("display name of 65", request { $0.displayName = String(repeating: "d", count: 65) }),
            ("display name of spaces", request { $0.displayName = "   " }),
            ("display name with a control character", request { $0.displayName = "Carol\u{1B}[31m" }),
            ("birth date in the future", request { $0.birthDate = "2026-01-02" }),
            ("birth date not a date", request { $0.birthDate = "2001-02-29" }),
            ("birth date in another format", request { $0.birthDate = "01/02/2001" }),
        ]
    }()

    @Test("every rule refuses with INVALID_ARGUMENT and creates nothing", arguments: Backend.allCases)
    func validation(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            for (rule, request) in Self.invalidRequests {
                let error = await expectRPCError(.invalidArgument) {
                    try await harness.client.unary(AuthMethods.register, request, as: Halo_Auth_V1_TokenResponse.self)
                }
                #expect(error != nil, "\(rule)")
                // The message explains the rule and never echoes the input.
                #expect(error.map { !$0.message.contains("carol") && $0.message.utf8.count < 100 } ?? false, "\(rule)")
            }
            // Nothing was created: the valid request still succeeds.
            _ = try await harness.register(email: "carol@example.com", username: "carol")
        }
    }

    @Test("emails and usernames are unique case-insensitively: ALREADY_EXISTS", arguments: Backend.allCases)
    func duplicates(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let first = try await harness.register(email: "dave@example.com", username: "Dave")
            let email = await expectRPCError(.alreadyExists) {
                try await harness.register(email: "DAVE@Example.COM", username: "someone_else")
            }
            #expect(email?.message == "email is already registered")
            let username = await expectRPCError(.alreadyExists) {
                try await harness.register(email: "other@example.com", username: "dAVE")
            }
            #expect(username?.message == "username is already taken")
            // The first account is untouched and still logs in.
            #expect(try await harness.login(email: "dave@example.com").user == first.user)
        }
    }

    @Test("a burst of the same registration creates exactly one account", arguments: Backend.allCases)
    func concurrentDuplicates(backend: Backend) async throws {
        try await AuthHarness.with(backend) { harness in
            let codes = await withTaskGroup(of: RPCError.Code?.self) { group in
                for index in 0..<4 {
                    group.addTask {
                        do {
                            _ = try await harness.register(email: "erin@example.com", username: "erin\(index)")
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
            #expect(codes.filter { $0 == nil }.count == 1)
            #expect(codes.filter { $0 == .alreadyExists }.count == 3)
        }
    }
}
