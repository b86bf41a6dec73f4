import CallerIdentity
import Foundation
import Logging
import Protos
import RPC
import ServiceSupport
import ServiceSupportTesting
import SwiftProtobuf
import Testing
import VideoService

/// The service's rules over the in-memory store, without sockets or SQL.
@Suite struct VideoServiceUnitTests {
    let store = InMemoryVideoStore()

    func context(
        _ caller: Caller = .anonymous, _ method: MethodDescriptor = VideoService.Methods.listVideos
    )
        -> ServerContext
    {
        ServerContext(method: method, metadata: caller.metadata, deadline: nil, remoteAddress: nil)
    }

    @Test func nextOffsetStopsAtTheMaximumOffset() async throws {
        let owner = UUID()
        for index in 0..<(VideoLimits.maxOffset + 30) {
            try await self.store.insert(
                VideoRecord(
                    id: UUIDv7.make(), ownerID: owner, title: "v\(index)", createdAt: Int64(index),
                    updatedAt: Int64(index)))
        }
        let service = VideoService(store: self.store, logger: Logger.test("halo.test.video"))
        let nearTheEnd = try await service.listVideos(
            .with {
                $0.offset = Int32(VideoLimits.maxOffset - 20)
                $0.limit = 20
            }, context: self.context())
        #expect(nearTheEnd.videos.count == 20)
        #expect(nearTheEnd.nextOffset == Int32(VideoLimits.maxOffset))
        let last = try await service.listVideos(
            .with {
                $0.offset = Int32(VideoLimits.maxOffset - 10)
                $0.limit = 20
            }, context: self.context())
        #expect(last.videos.count == 20)
        #expect(!last.hasNextOffset)
    }

    @Test func storeFailuresBecomeStatusesWithoutDetail() async throws {
        struct Broken: VideoStore {
            let error: any Error
            func insert(_ video: VideoRecord) async throws { throw self.error }
            func video(id: UUID) async throws -> VideoRecord? { throw self.error }
            func videos(ids: [UUID]) async throws -> [VideoRecord] { throw self.error }
            func list(_ query: VideoQuery) async throws -> [VideoRecord] { throw self.error }
            func update(id: UUID, changes: VideoChanges, updatedAt: Int64) async throws -> VideoRecord? {
                throw self.error
            }
            func delete(id: UUID) async throws -> Bool { throw self.error }
        }
        let logger = Logger.test("halo.test.video")
        let down = VideoService(store: Broken(error: DatabaseError(code: .unavailable)), logger: logger)
        await #expect { try await down.listVideos(.init(), context: self.context()) } throws: {
            ($0 as? RPCError)?.code == .unavailable
        }
        struct Bug: Error {}
        let buggy = VideoService(store: Broken(error: Bug()), logger: logger)
        await #expect {
            try await buggy.getVideo(.with { $0.id = UUID().uuidString }, context: self.context())
        } throws: {
            ($0 as? RPCError)?.code == .internal && ($0 as? RPCError)?.message == "internal error"
        }
    }

    @Test func ownerComesFromIdentityOnly() async throws {
        let caller = Caller.user()
        let service = VideoService(store: self.store, logger: Logger.test("halo.test.video"))
        let video = try await service.createVideo(
            .with { $0.title = "mine" }, context: self.context(caller, VideoService.Methods.createVideo))
        #expect(video.ownerID == caller.userID!.lowercasedString)
        let stored = try #require(try await self.store.video(id: UUID(uuidString: video.id)!))
        #expect(stored.ownerID == caller.userID)
    }
}
