import Foundation
import HealthProtos
import Logging
import Protos
import RPC
import ServiceSupport
import ServiceSupportTesting
import SwiftProtobuf
import Testing
import VideoService

@Suite struct VideoFaultTests {
    /// PostgreSQL: the connection to the server is cut (a real lost connection through a proxy).
    /// SQLite: every statement fails with an I/O error (fault injector at the `SQLDatabase` seam).
    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func databaseDownIsUnavailableAndNotServingThenRecovers(_ dialect: ServiceDatabase.Dialect) async throws {
        try await VideoHarness.with(dialect) { harness in
            let owner = Caller.user()
            let video = try await harness.create(owner)
            #expect(try await harness.health() == .serving)

            await harness.breakDatabase()
            let read = await harness.failure(
                VideoService.Methods.getVideo, Halo_Video_V1_GetVideoRequest.with { $0.id = video.id },
                returning: Halo_Video_V1_Video.self)
            #expect(read?.code == .unavailable)
            let write = await harness.failure(
                VideoService.Methods.createVideo, Halo_Video_V1_CreateVideoRequest.with { $0.title = "lost?" },
                as: owner, returning: Halo_Video_V1_Video.self)
            #expect(write?.code == .unavailable)
            let list = await harness.listFailure { _ in }
            #expect(list?.code == .unavailable)
            for error in [read, write, list].compactMap({ $0 }) {
                #expect(!error.message.lowercased().contains("select"))
                #expect(!error.message.lowercased().contains("insert"))
                #expect(error.message == "the database is unavailable; try again later")
            }
            try await harness.waitForHealth(.notServing)
            #expect(try await harness.health("") == .notServing)
            // Bad input is still answered as such while the database is away.
            let invalid = await harness.listFailure { $0.limit = -1 }
            #expect(invalid?.code == .invalidArgument)

            harness.repairDatabase()
            try await harness.waitForHealth(.serving)
            #expect(try await harness.health("") == .serving)
            #expect(try await harness.get(video.id) == video)
            // The write that failed was not applied.
            #expect(try await harness.list().videos.map(\.id) == [video.id])
            _ = try await harness.create(owner, title: "after recovery")
            #expect(try await harness.list().videos.count == 2)
        }
    }
}
