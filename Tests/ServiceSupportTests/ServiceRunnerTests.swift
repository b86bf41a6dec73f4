import Foundation
import HealthProtos
import Logging
import NIOCore
import RPC
import ServiceSupport
import ServiceSupportTesting
import SwiftProtobuf
import Synchronization
import Testing

/// A service with one method that touches the database.
private struct PingService: RPCService {
    static let check = MethodDescriptor(service: "halo.test.Ping", method: "Check")
    let database: ServiceDatabase

    var serviceName: String { "halo.test.Ping" }

    func register(in router: inout Router) {
        router.unary(Self.check) { (request: Grpc_Health_V1_HealthCheckRequest, _) in
            do {
                try await self.database.ping(timeout: .seconds(10))
            } catch {
                throw DatabaseErrors.rpcError(for: error)
            }
            return Grpc_Health_V1_HealthCheckResponse.with { $0.status = .serving }
        }
    }
}

@Suite struct ServiceRunnerTests {
    let logger = Logger.test("halo.test.runner")

    @Test func healthFollowsTheDatabaseAndShutdownIsGraceful() async throws {
        try await TestDatabases.withFresh(.sqlite) { fresh in
            try await fresh.withOpen(service: "ping", logger: self.logger) { opened in
                let faults = FaultSwitch()
                let database = opened.replacingSQL(FaultInjectingDatabase(base: opened.sql, faults: faults))
                let runner = ServiceRunner(
                    configuration: fresh.configuration, database: database, services: [PingService(database: database)],
                    logger: self.logger, handleSignals: false)
                let address = try await runner.start()
                let client = ClientConnection(host: "127.0.0.1", port: try #require(address.port))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await runner.run() }
                    var failure: (any Error)?
                    do {

                        #expect(try await Self.health(client, "halo.test.Ping") == .serving)
                        #expect(try await Self.health(client, "") == .serving)
                        faults.fail()
                        let status = await #expect(throws: RPCError.self) {
                            try await client.unary(
                                PingService.check, Grpc_Health_V1_HealthCheckRequest(),
                                as: Grpc_Health_V1_HealthCheckResponse.self)
                        }
                        #expect(status?.code == .unavailable)
                        try await Self.waitFor(.notServing, client, "halo.test.Ping")
                        #expect(try await Self.health(client, "") == .notServing)
                        faults.recover()
                        try await Self.waitFor(.serving, client, "halo.test.Ping")
                    } catch {
                        failure = error
                    }
                    await runner.shutDownGracefully()
                    try await group.next()
                    if let failure { throw failure }
                }
                #expect(runner.health.status(for: "halo.test.Ping") == .notServing)
                await client.close()
            }
        }
    }

    /// A dependency the test switches off and on.
    private final class SwitchedProbe: HealthProbe {
        let down = Mutex(false)
        var name: String { "switched" }

        func check(timeout: Duration) async throws {
            if self.down.withLock({ $0 }) { throw RPCError(code: .unavailable, message: "switched off") }
        }
    }

    private struct NothingService: RPCService {
        var serviceName: String { "halo.test.Nothing" }
        func register(in router: inout Router) {}
    }

    @Test func healthFollowsAnyProbe() async throws {
        let probe = SwitchedProbe()
        let runner = ServiceRunner(
            configuration: .defaults, probe: probe, probeInterval: .milliseconds(50), probeTimeout: .seconds(1),
            services: [NothingService()], logger: self.logger, handleSignals: false)
        let address = try await runner.start()
        let client = ClientConnection(host: "127.0.0.1", port: try #require(address.port))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run() }
            #expect(try await Self.health(client, "halo.test.Nothing") == .serving)
            probe.down.withLock { $0 = true }
            try await Self.waitFor(.notServing, client, "halo.test.Nothing")
            #expect(try await Self.health(client, "") == .notServing)
            probe.down.withLock { $0 = false }
            try await Self.waitFor(.serving, client, "halo.test.Nothing")
            #expect(try await Self.health(client, "") == .serving)
            await runner.shutDownGracefully()
            try await group.next()
        }
        await client.close()
    }

    static func health(_ client: ClientConnection, _ service: String) async throws -> HealthService.Status {
        try await client.unary(
            HealthService.check, Grpc_Health_V1_HealthCheckRequest.with { $0.service = service },
            as: Grpc_Health_V1_HealthCheckResponse.self
        ).status
    }

    static func waitFor(
        _ status: HealthService.Status, _ client: ClientConnection, _ service: String,
        within limit: Duration = .seconds(5)
    ) async throws {
        let deadline = ContinuousClock.now + limit
        while try await self.health(client, service) != status {
            guard ContinuousClock.now < deadline else {
                Issue.record("health of \(service) did not become \(status) within \(limit)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
