import AuthService
import Foundation
import Logging
import NIOCore
import Protos
import RPC
import SwiftProtobuf
import Testing
import Tokens

/// Where a harness keeps its data.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory

    var testDescription: String { self.rawValue }
}

/// A real auth service (`Server` on port 0) over a fresh store, a signing key in a temporary data directory,
/// a hand-moved clock, and our own gRPC client to call it.
struct AuthHarness: Sendable {
    static let issuer = "https://auth.halo.test"
    static let audience = "halo-test"

    let backend: Backend
    let client: ClientConnection
    let clock: ManualClock
    let keys: SigningKeySet
    let dataDirectory: String
    let health: HealthService
    private let memory: InMemoryAuthStore?

    /// Runs `body` against a fresh service.
    static func with(
        _ backend: Backend, configure: (inout AuthService.Configuration) -> Void = { _ in },
        _ body: (AuthHarness) async throws -> Void
    ) async throws {
        var logger = Logger(label: "halo.test.auth")
        logger.logLevel = .critical
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("halo-auth-test-\(UUID().uuidString.lowercased())", isDirectory: true).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = AuthService.Configuration(issuer: issuer, audience: audience)
        configure(&configuration)
        let clock = ManualClock()
        let keys = try SigningKeyFiles(directory: directory).loadOrCreate()
        let store = InMemoryAuthStore()
        let service = try AuthService(
            configuration: configuration, store: store, keys: keys, clock: clock.authClock, logger: logger)
        let health = HealthService()
        var router = Router()
        service.register(in: &router)
        health.register(in: &router)
        let server = Server(configuration: .defaults, router: router, logger: logger)
        let address = try await server.start()
        let client = ClientConnection(host: "127.0.0.1", port: address.port!)
        let harness = AuthHarness(
            backend: backend, client: client, clock: clock, keys: keys, dataDirectory: directory, health: health,
            memory: store)
        do {
            try await body(harness)
        } catch {
            await harness.close(server: server, service: service)
            throw error
        }
        await harness.close(server: server, service: service)
    }

    private func close(server: Server, service: AuthService) async {
        await self.client.close()
        await server.shutdownGracefully()
        await service.shutdown()
    }

    // MARK: Faults

    /// Makes the database unreachable.
    func takeDatabaseDown() async {
        self.memory?.setDown(true)
    }

    /// Makes the database reachable again.
    func bringDatabaseBack() async {
        self.memory?.setDown(false)
    }

    // MARK: Calls

    func register(
        email: String = "alice@example.com", username: String = "alice", password: String = "correct horse",
        displayName: String? = nil, birthDate: String? = nil
    ) async throws -> Halo_Auth_V1_TokenResponse {
        let request = Halo_Auth_V1_RegisterRequest.with {
            $0.email = email
            $0.username = username
            $0.password = password
            if let displayName { $0.displayName = displayName }
            if let birthDate { $0.birthDate = birthDate }
        }
        return try await self.client.unary(AuthMethods.register, request, as: Halo_Auth_V1_TokenResponse.self)
    }

    func login(
        email: String = "alice@example.com", password: String = "correct horse"
    ) async throws
        -> Halo_Auth_V1_TokenResponse
    {
        let request = Halo_Auth_V1_LoginRequest.with {
            $0.email = email
            $0.password = password
        }
        return try await self.client.unary(AuthMethods.login, request, as: Halo_Auth_V1_TokenResponse.self)
    }

    func refresh(_ refreshToken: String) async throws -> Halo_Auth_V1_TokenResponse {
        try await self.client.unary(
            AuthMethods.refresh, Halo_Auth_V1_RefreshRequest.with { $0.refreshToken = refreshToken },
            as: Halo_Auth_V1_TokenResponse.self)
    }

    func logout(_ refreshToken: String) async throws {
        _ = try await self.client.unary(
            AuthMethods.logout, Halo_Auth_V1_LogoutRequest.with { $0.refreshToken = refreshToken },
            as: Halo_Auth_V1_LogoutResponse.self)
    }

    func getUser(as userID: String?) async throws -> Halo_Auth_V1_User {
        try await self.client.unary(
            AuthMethods.getUser, Halo_Auth_V1_GetUserRequest(), as: Halo_Auth_V1_User.self,
            options: Self.identity(userID))
    }

    func updateProfile(
        as userID: String?, displayName: String? = nil, adultMode: Bool? = nil
    ) async throws
        -> Halo_Auth_V1_User
    {
        let request = Halo_Auth_V1_UpdateProfileRequest.with {
            if let displayName { $0.displayName = displayName }
            if let adultMode { $0.adultMode = adultMode }
        }
        return try await self.client.unary(
            AuthMethods.updateProfile, request, as: Halo_Auth_V1_User.self, options: Self.identity(userID))
    }

    func jwks() async throws -> Halo_Auth_V1_GetJWKSResponse {
        try await self.client.unary(
            AuthMethods.getJWKS, Halo_Auth_V1_GetJWKSRequest(), as: Halo_Auth_V1_GetJWKSResponse.self)
    }

    /// The health the service reports for itself.
    func healthStatus() async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        try await self.client.unary(
            HealthService.check, Grpc_Health_V1_HealthCheckRequest.with { $0.service = AuthMethods.service },
            as: Grpc_Health_V1_HealthCheckResponse.self
        ).status
    }

    /// A verifier as the gateway would build it: keys from GetJWKS, our issuer and audience, the test clock.
    func verifier() async throws -> TokenVerifier {
        let jwks = try await self.jwks()
        let document =
            #"{"keys":["#
            + jwks.keys.map {
                #"{"kty":"\#($0.kty)","crv":"\#($0.crv)","x":"\#($0.x)","kid":"\#($0.kid)","alg":"\#($0.alg)","use":"\#($0.use)"}"#
            }.joined(separator: ",") + "]}"
        let clock = self.clock
        return TokenVerifier(
            keys: try TokenKeySet(jwks: document),
            configuration: TokenVerifier.Configuration(issuer: Self.issuer, audience: Self.audience),
            clock: TokenClock { Int64(clock.now.timeIntervalSince1970) })
    }

    private static func identity(_ userID: String?) -> CallOptions {
        var metadata = Metadata()
        if let userID { metadata.add("x-halo-user-id", userID) }
        return CallOptions(metadata: metadata)
    }
}

/// Runs `body` and returns the `RPCError` it throws; records an issue when it succeeds or throws another error.
@discardableResult
func expectRPCError(
    _ code: RPCError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> some Any
) async -> RPCError? {
    do {
        _ = try await body()
        Issue.record("expected \(code), the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
