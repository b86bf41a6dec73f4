import CallerIdentity
import Foundation
import Logging
import NIOCore
import Protos
import RPC
import ServiceSupport
import ServiceSupportTesting
import SwiftProtobuf
import VideoService

/// The real video service (library `VideoService`), in this process on free ports (one per
/// replica, all on one database), on a fresh SQLite database in a temporary directory. Tests
/// create videos through its CreateVideo.
final class VideoBackend: Sendable {
    /// The first replica's port.
    var port: Int { self.ports[0] }
    let ports: [Int]
    private let client: ClientConnection
    private let runners: [ServiceRunner]
    private let running: [Task<Void, any Error>]
    /// Owns the videos the tests create.
    private let owner = UUID()

    private init(ports: [Int], client: ClientConnection, runners: [ServiceRunner]) {
        self.ports = ports
        self.client = client
        self.runners = runners
        self.running = runners.map { runner in Task { try await runner.run() } }
    }

    /// Runs `body` with a video service of `replicas` replicas that are serving; stops them and
    /// removes their database afterwards.
    static func with(replicas: Int = 1, _ body: (VideoBackend) async throws -> Void) async throws {
        try await TestDatabases.withFresh(.sqlite) { fresh in
            try await fresh.withOpen(service: VideoServiceApp.service, logger: .quiet) { database in
                try await Migrator(
                    database: database, service: VideoServiceApp.service, migrations: VideoMigrations.all,
                    logger: .quiet
                ).migrate()
                var runners: [ServiceRunner] = []
                var ports: [Int] = []
                for _ in 0..<replicas {
                    let service = VideoService(store: SQLVideoStore(database: database), logger: .quiet)
                    let runner = ServiceRunner(
                        configuration: fresh.configuration, database: database, services: [service], logger: .quiet,
                        handleSignals: false)
                    let address = try await runner.start()
                    guard let port = address.port else { throw TestEnvironment.SetupError(description: "no port") }
                    runners.append(runner)
                    ports.append(port)
                }
                let backend = VideoBackend(
                    ports: ports, client: ClientConnection(host: "127.0.0.1", port: ports[0]), runners: runners)
                do {
                    try await body(backend)
                } catch {
                    await backend.stop()
                    throw error
                }
                await backend.stop()
            }
        }
    }

    /// Creates a video through CreateVideo and returns its id.
    func create(adult: Bool = false) async throws -> String {
        var metadata = Metadata()
        metadata.add(Identity.userIDKey, self.owner.uuidString.lowercased())
        metadata.add(Identity.adultKey, adult ? "true" : "false")
        let video = try await self.client.unary(
            VideoService.Methods.createVideo,
            Halo_Video_V1_CreateVideoRequest.with {
                $0.title = "engagement test"
                $0.isAdult = adult
            }, as: Halo_Video_V1_Video.self, options: CallOptions(timeout: .seconds(20), metadata: metadata))
        return video.id
    }

    /// Deletes a video through DeleteVideo, as its owner.
    func delete(_ videoID: String) async throws {
        var metadata = Metadata()
        Identity(userID: self.owner).write(to: &metadata)
        _ = try await self.client.unary(
            VideoService.Methods.deleteVideo, Halo_Video_V1_DeleteVideoRequest.with { $0.id = videoID },
            as: Halo_Video_V1_DeleteVideoResponse.self, options: CallOptions(timeout: .seconds(20), metadata: metadata))
    }

    /// Stops serving (every port then refuses connections); calling it again does nothing.
    func stop() async {
        await self.client.close()
        for index in self.runners.indices { await self.stop(replica: index) }
    }

    /// Stops one replica gracefully (GOAWAY, then its port refuses connections).
    func stop(replica index: Int) async {
        await self.runners[index].shutDownGracefully()
        _ = try? await self.running[index].value
    }
}
