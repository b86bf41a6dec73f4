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

/// The real video service (library `VideoService`), in this process on a free port, on a fresh
/// SQLite database in a temporary directory. Tests create videos through its CreateVideo.
final class VideoBackend: Sendable {
    let port: Int
    private let client: ClientConnection
    private let runner: ServiceRunner
    private let running: Task<Void, any Error>
    /// Owns the videos the tests create.
    private let owner = UUID()

    private init(port: Int, client: ClientConnection, runner: ServiceRunner) {
        self.port = port
        self.client = client
        self.runner = runner
        self.running = Task { try await runner.run() }
    }

    /// Runs `body` with a video service that is serving; stops it and removes its database afterwards.
    static func with(_ body: (VideoBackend) async throws -> Void) async throws {
        try await TestDatabases.withFresh(.sqlite) { fresh in
            try await fresh.withOpen(service: VideoServiceApp.service, logger: .quiet) { database in
                try await Migrator(
                    database: database, service: VideoServiceApp.service, migrations: VideoMigrations.all,
                    logger: .quiet
                ).migrate()
                let service = VideoService(store: SQLVideoStore(database: database), logger: .quiet)
                let runner = ServiceRunner(
                    configuration: fresh.configuration, database: database, services: [service], logger: .quiet,
                    handleSignals: false)
                let address = try await runner.start()
                guard let port = address.port else { throw TestEnvironment.SetupError(description: "no port") }
                let backend = VideoBackend(
                    port: port, client: ClientConnection(host: "127.0.0.1", port: port), runner: runner)
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

    /// Stops serving (its port then refuses connections); calling it again does nothing.
    func stop() async {
        await self.client.close()
        await self.runner.shutDownGracefully()
        _ = try? await self.running.value
    }
}
