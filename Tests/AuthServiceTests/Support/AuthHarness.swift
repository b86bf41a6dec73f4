import AuthService
import Foundation
import HealthProtos
import Logging
import NIOCore
import Protos
import RPC
import SQLKit
import ServiceSupport
import ServiceSupportTesting
import SwiftProtobuf
import Testing
import Tokens

/// The databases every RPC-level test runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var dialect: ServiceDatabase.Dialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    var testDescription: String { self.rawValue }
}

/// A real auth service (`ServiceRunner`: health, database probe; SQL store, migrations) on port 0 over a fresh
/// database, a signing key in a temporary data directory, a hand-moved clock, and our own gRPC client.
///
/// Faults: a ``FaultSwitch`` fails every statement with the I/O error a vanished file gives; on PostgreSQL a
/// proxied harness cuts its ``FaultProxy`` instead (a real lost connection).
/// ``StatementFaults`` fails chosen statements only (a failure in the middle of a transaction).
struct AuthHarness: Sendable {
    static let issuer = "https://auth.halo.test"
    static let audience = "halo-test"
    static let service = AuthServiceApp.service

    /// What every instance over the same database shares.
    private struct Shared: Sendable {
        let backend: Backend
        let clock: ManualClock
        let dataDirectory: String
        let database: ServiceDatabase
        let statementFaults: StatementFaults
        let configuration: ServiceConfiguration
        let logger: Logger
        let faults: FaultSwitch
        let proxy: FaultProxy?
    }

    private let shared: Shared
    let client: ClientConnection
    /// The signing keys this instance loaded.
    let keys: SigningKeySet

    var backend: Backend { self.shared.backend }
    var clock: ManualClock { self.shared.clock }
    var dataDirectory: String { self.shared.dataDirectory }
    var database: ServiceDatabase { self.shared.database }
    var statementFaults: StatementFaults { self.shared.statementFaults }

    /// Runs `body` against a fresh service.
    /// `exclusive` runs it with no other harness alive (timing measurements); `proxied` puts PostgreSQL behind
    /// a ``FaultProxy`` so that taking the database down cuts real connections.
    static func with(
        _ backend: Backend, exclusive: Bool = false, proxied: Bool = false,
        configure: (inout AuthService.Configuration) -> Void = { _ in }, _ body: (AuthHarness) async throws -> Void
    ) async throws {
        let logger = Logger.test("halo.test.auth")
        var auth = AuthService.Configuration(issuer: issuer, audience: audience)
        configure(&auth)
        try await HarnessLimiter.shared.withSlot(exclusive: exclusive) {
            try await Self.withFresh(backend, proxied: proxied, auth: auth, logger: logger, body)
        }
    }

    private static func withFresh(
        _ backend: Backend, proxied: Bool, auth: AuthService.Configuration, logger: Logger,
        _ body: (AuthHarness) async throws -> Void
    ) async throws {
        try await TestDatabases.withFresh(backend.dialect) { fresh in
            var url = fresh.url
            var proxy: FaultProxy?
            if proxied, let direct = url, let target = URLComponents(string: direct), let host = target.host {
                let fault = FaultProxy(targetHost: host, targetPort: target.port ?? 5432)
                url = TestDatabases.replacingAddress(in: direct, host: "127.0.0.1", port: try await fault.start())
                proxy = fault
            }
            var configuration = fresh.configuration
            configuration.databaseURL = url
            let opened = try await DatabaseFactory.open(configuration, service: service, logger: logger)
            let faults = FaultSwitch()
            let statementFaults = StatementFaults()
            let database = opened.replacingSQL(
                StatementFaultDatabase(
                    base: FaultInjectingDatabase(base: opened.sql, faults: faults), faults: statementFaults))
            let shared = Shared(
                backend: backend, clock: ManualClock(), dataDirectory: fresh.dataDirectory, database: database,
                statementFaults: statementFaults, configuration: configuration, logger: logger, faults: faults,
                proxy: proxy)
            do {
                try await database.withRunning { database in
                    try await Migrator(
                        database: database, service: service, migrations: AuthMigrations.all, logger: logger
                    ).migrate()
                    try await Self.run(shared, auth: auth, passwords: .defaults, body)
                }
            } catch {
                await proxy?.stop()
                throw error
            }
            await proxy?.stop()
        }
    }

    /// Runs `body` against another instance of the service over the same database and data directory
    /// (keys read from disk again), as a restart or a second replica would; `passwords` sets its hashing cost.
    func instance(
        _ auth: AuthService.Configuration? = nil, passwords: PasswordHasher.Configuration = .defaults,
        _ body: (AuthHarness) async throws -> Void
    ) async throws {
        try await Self.run(
            self.shared, auth: auth ?? AuthService.Configuration(issuer: Self.issuer, audience: Self.audience),
            passwords: passwords, body)
    }

    private static func run(
        _ shared: Shared, auth: AuthService.Configuration, passwords: PasswordHasher.Configuration,
        _ body: (AuthHarness) async throws -> Void
    ) async throws {
        let keys = try SigningKeyFiles(directory: shared.dataDirectory).loadOrCreate()
        let hasher = try PasswordHasher(configuration: passwords)
        let service = AuthService(
            configuration: auth, store: SQLAuthStore(database: shared.database), hasher: hasher, keys: keys,
            clock: shared.clock.authClock, logger: shared.logger)
        let runner = ServiceRunner(
            configuration: shared.configuration, database: shared.database, services: [service],
            logger: shared.logger, handleSignals: false)
        let address = try await runner.start()
        let client = ClientConnection(host: "127.0.0.1", port: address.port!)
        let harness = AuthHarness(shared: shared, client: client, keys: keys)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run() }
            var failure: (any Error)?
            do { try await body(harness) } catch { failure = error }
            await client.close()
            await runner.shutDownGracefully()
            try await group.waitForAll()
            await hasher.shutdown()
            if let failure { throw failure }
        }
    }

    // MARK: Faults and health

    /// Takes the database away.
    func takeDatabaseDown() async {
        if let proxy = self.shared.proxy { await proxy.cut() } else { self.shared.faults.fail() }
    }

    /// Gives it back.
    func bringDatabaseBack() {
        if let proxy = self.shared.proxy { proxy.restore() } else { self.shared.faults.recover() }
    }

    /// The health the service reports for itself.
    func healthStatus() async throws -> HealthService.Status {
        try await self.client.unary(
            HealthService.check, Grpc_Health_V1_HealthCheckRequest.with { $0.service = AuthMethods.service },
            as: Grpc_Health_V1_HealthCheckResponse.self
        ).status
    }

    /// Polls health until it reports `status`; records an issue after `limit`.
    func waitForHealth(
        _ status: HealthService.Status, within limit: Duration = .seconds(10),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + limit
        while try await self.healthStatus() != status {
            guard ContinuousClock.now < deadline else {
                Issue.record("health did not become \(status) within \(limit)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Rows in a table, read directly.
    func count(_ table: String) async throws -> Int {
        let row = try await self.database.sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(table).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
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

extension AuthHarness {
    /// The stored password hash of an account, read directly.
    func storedHash(email: String = "alice@example.com") async throws -> String {
        try await SQLAuthStore(database: self.database).user(email: email)?.passwordHash ?? ""
    }
}
