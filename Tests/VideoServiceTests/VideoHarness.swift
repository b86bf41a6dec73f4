import CallerIdentity
import Foundation
import HealthProtos
import Logging
import NIOCore
import Protos
import RPC
import ServiceSupport
import ServiceSupportTesting
import SwiftProtobuf
import Synchronization
import Testing
import VideoService

/// Who calls, as the gateway would say in metadata.
struct Caller: Sendable {
    var userID: UUID?
    var isAdult = false
    var isAdmin = false

    static var anonymous: Caller { Caller(userID: nil) }
    static func user(adult: Bool = false, admin: Bool = false) -> Caller {
        Caller(userID: UUID(), isAdult: adult, isAdmin: admin)
    }

    var metadata: Metadata {
        var metadata = Metadata()
        if let userID { metadata.add(Identity.userIDKey, userID.lowercasedString) }
        if self.isAdult { metadata.add(Identity.adultKey, "true") }
        if self.isAdmin { metadata.add(Identity.adminKey, "true") }
        return metadata
    }
}

/// A clock a test moves by hand.
final class TestClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_767_225_600))

    /// The current time, then one millisecond later (each video gets its own instant).
    @Sendable func tick() -> Date {
        self.now.withLock { now in
            defer { now += 0.001 }
            return now
        }
    }

    /// The same instant every time (equal timestamps).
    @Sendable func frozen() -> Date { self.now.withLock { $0 } }
}

/// A real video service (`ServiceRunner`, SQL store, migrations) on port 0 over a fresh database,
/// and our own gRPC client to call it.
///
/// Faults: on PostgreSQL the service reaches the server through a ``FaultProxy`` that the test
/// can cut (a real lost connection); on SQLite a ``FaultSwitch`` fails every statement with the
/// I/O error a vanished file gives (a test running as root cannot make a file unreadable).
struct VideoHarness: Sendable {
    let dialect: ServiceDatabase.Dialect
    let client: ClientConnection
    let runner: ServiceRunner
    private let faults: FaultSwitch
    private let proxy: FaultProxy?

    /// Runs `body` against a fresh service; `now` stamps the videos.
    static func with(
        _ dialect: ServiceDatabase.Dialect, now: @escaping @Sendable () -> Date = { Date() },
        _ body: (VideoHarness) async throws -> Void
    ) async throws {
        let logger = Logger.test("halo.test.video")
        try await TestDatabases.withFresh(dialect) { fresh in
            var url = fresh.url
            var proxy: FaultProxy?
            if let direct = url, let target = URLComponents(string: direct), let host = target.host {
                let fault = FaultProxy(targetHost: host, targetPort: target.port ?? 5432)
                let port = try await fault.start()
                url = TestDatabases.replacingAddress(in: direct, host: "127.0.0.1", port: port)
                proxy = fault
            }
            var configuration = fresh.configuration
            configuration.databaseURL = url
            let opened = try await DatabaseFactory.open(configuration, service: VideoServiceApp.service, logger: logger)
            let faults = FaultSwitch()
            let database = opened.replacingSQL(
                FaultInjectingDatabase(base: opened.sql, faults: faults), readGate: faults.readGate)
            do {
                try await database.withRunning { database in
                    try await Migrator(
                        database: database, service: VideoServiceApp.service, migrations: VideoMigrations.all,
                        logger: logger
                    ).migrate()
                    let service = VideoService(store: SQLVideoStore(database: database), logger: logger, now: now)
                    let runner = ServiceRunner(
                        configuration: configuration, database: database, services: [service], logger: logger,
                        handleSignals: false)
                    let address = try await runner.start()
                    let client = ClientConnection(host: "127.0.0.1", port: address.port!)
                    let harness = VideoHarness(
                        dialect: dialect, client: client, runner: runner, faults: faults, proxy: proxy)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await runner.run() }
                        var failure: (any Error)?
                        do { try await body(harness) } catch { failure = error }
                        await client.close()
                        await runner.shutDownGracefully()
                        try await group.waitForAll()
                        if let failure { throw failure }
                    }
                }
            } catch {
                await proxy?.stop()
                throw error
            }
            await proxy?.stop()
        }
    }

    // MARK: Calls

    func call<Request: Message, Response: Message>(
        _ method: MethodDescriptor, _ request: Request, as caller: Caller = .anonymous,
        returning: Response.Type = Response.self
    ) async throws -> Response {
        try await self.client.unary(
            method, request, as: Response.self, options: CallOptions(timeout: .seconds(20), metadata: caller.metadata))
    }

    /// The error a call fails with (a test failure if it succeeds).
    func failure<Request: Message, Response: Message>(
        _ method: MethodDescriptor, _ request: Request, as caller: Caller = .anonymous,
        returning: Response.Type = Response.self, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> RPCError? {
        do {
            let response = try await self.call(method, request, as: caller, returning: Response.self)
            Issue.record("expected an error, got \(response)", sourceLocation: sourceLocation)
            return nil
        } catch let error as RPCError {
            return error
        } catch {
            Issue.record("expected an RPCError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @discardableResult
    func create(
        _ caller: Caller, title: String = "A video", live: Bool = false, adult: Bool = false,
        _ configure: (inout Halo_Video_V1_CreateVideoRequest) -> Void = { _ in }
    ) async throws -> Halo_Video_V1_Video {
        var request = Halo_Video_V1_CreateVideoRequest.with {
            $0.title = title
            $0.isLive = live
            $0.isAdult = adult
        }
        configure(&request)
        return try await self.call(VideoService.Methods.createVideo, request, as: caller)
    }

    func get(_ id: String, as caller: Caller = .anonymous) async throws -> Halo_Video_V1_Video {
        try await self.call(
            VideoService.Methods.getVideo, Halo_Video_V1_GetVideoRequest.with { $0.id = id }, as: caller)
    }

    func list(
        as caller: Caller = .anonymous, _ configure: (inout Halo_Video_V1_ListVideosRequest) -> Void = { _ in }
    ) async throws -> Halo_Video_V1_ListVideosResponse {
        var request = Halo_Video_V1_ListVideosRequest()
        configure(&request)
        return try await self.call(VideoService.Methods.listVideos, request, as: caller)
    }

    func listFailure(
        as caller: Caller = .anonymous, sourceLocation: SourceLocation = #_sourceLocation,
        _ configure: (inout Halo_Video_V1_ListVideosRequest) -> Void
    ) async -> RPCError? {
        var request = Halo_Video_V1_ListVideosRequest()
        configure(&request)
        return await self.failure(
            VideoService.Methods.listVideos, request, as: caller, returning: Halo_Video_V1_ListVideosResponse.self,
            sourceLocation: sourceLocation)
    }

    // MARK: Faults and health

    /// Takes the database away.
    func breakDatabase() async {
        if let proxy { await proxy.cut() } else { self.faults.fail() }
    }

    /// Gives it back.
    func repairDatabase() {
        if let proxy { proxy.restore() } else { self.faults.recover() }
    }

    func health(_ service: String = VideoService.name) async throws -> HealthService.Status {
        try await self.client.unary(
            HealthService.check, Grpc_Health_V1_HealthCheckRequest.with { $0.service = service },
            as: Grpc_Health_V1_HealthCheckResponse.self
        ).status
    }

    /// Polls health until it reports `status`; records an issue after `limit`.
    func waitForHealth(
        _ status: HealthService.Status, within limit: Duration = .seconds(10),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + limit
        while try await self.health() != status {
            guard ContinuousClock.now < deadline else {
                Issue.record("health did not become \(status) within \(limit)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
