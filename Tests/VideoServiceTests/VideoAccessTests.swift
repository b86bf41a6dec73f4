import Foundation
import Logging
import Protos
import RPC
import ServiceSupport
import ServiceSupportTesting
import SwiftProtobuf
import Testing
import VideoService

@Suite struct VideoAccessTests {
    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func onlyTheOwnerOrAnAdminChangesAVideo(_ dialect: ServiceDatabase.Dialect) async throws {
        let clock = TestClock()
        try await VideoHarness.with(dialect, now: clock.tick) { harness in
            let owner = Caller.user()
            let stranger = Caller.user(adult: true)
            let admin = Caller.user(admin: true)
            let video = try await harness.create(owner, title: "mine") { $0.tags = ["a", "b"] }

            let rename = Halo_Video_V1_UpdateVideoRequest.with {
                $0.id = video.id
                $0.title = "stolen"
            }
            let denied = await harness.failure(
                VideoService.Methods.updateVideo, rename, as: stranger, returning: Halo_Video_V1_Video.self)
            #expect(denied?.code == .permissionDenied)
            let anonymous = await harness.failure(
                VideoService.Methods.updateVideo, rename, returning: Halo_Video_V1_Video.self)
            #expect(anonymous?.code == .unauthenticated)
            #expect(try await harness.get(video.id).title == "mine")

            let renamed: Halo_Video_V1_Video = try await harness.call(
                VideoService.Methods.updateVideo,
                Halo_Video_V1_UpdateVideoRequest.with {
                    $0.id = video.id
                    $0.title = "renamed"
                }, as: owner)
            #expect(renamed.title == "renamed")
            #expect(renamed.tags == ["a", "b"])
            #expect(renamed.ownerID == video.ownerID)
            #expect(renamed.createdAt == video.createdAt)
            #expect(
                renamed.updatedAt.seconds * 1_000_000_000 + Int64(renamed.updatedAt.nanos)
                    > video.updatedAt.seconds * 1_000_000_000 + Int64(video.updatedAt.nanos))

            let byAdmin: Halo_Video_V1_Video = try await harness.call(
                VideoService.Methods.updateVideo,
                Halo_Video_V1_UpdateVideoRequest.with {
                    $0.id = video.id
                    $0.isLive = true
                }, as: admin)
            #expect(byAdmin.isLive && byAdmin.title == "renamed")

            let delete = Halo_Video_V1_DeleteVideoRequest.with { $0.id = video.id }
            let deleteDenied = await harness.failure(
                VideoService.Methods.deleteVideo, delete, as: stranger,
                returning: Halo_Video_V1_DeleteVideoResponse.self)
            #expect(deleteDenied?.code == .permissionDenied)
            let _: Halo_Video_V1_DeleteVideoResponse = try await harness.call(
                VideoService.Methods.deleteVideo, delete, as: admin)
            let again = await harness.failure(
                VideoService.Methods.deleteVideo, delete, as: owner, returning: Halo_Video_V1_DeleteVideoResponse.self)
            #expect(again?.code == .notFound)
            let gone = await harness.failure(
                VideoService.Methods.getVideo, Halo_Video_V1_GetVideoRequest.with { $0.id = video.id },
                returning: Halo_Video_V1_Video.self)
            #expect(gone?.code == .notFound)

            // The owner deletes their own.
            let second = try await harness.create(owner)
            let _: Halo_Video_V1_DeleteVideoResponse = try await harness.call(
                VideoService.Methods.deleteVideo, Halo_Video_V1_DeleteVideoRequest.with { $0.id = second.id },
                as: owner)
            #expect(try await harness.list().videos.isEmpty)
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func updateChangesOnlyTheFieldsSent(_ dialect: ServiceDatabase.Dialect) async throws {
        let clock = TestClock()
        try await VideoHarness.with(dialect, now: clock.tick) { harness in
            let owner = Caller.user()
            let video = try await harness.create(owner, title: "t") {
                $0.description_p = "d"
                $0.thumbnailURL = "https://example.com/t.png"
                $0.streamURL = "https://example.com/s.m3u8"
                $0.durationSeconds = 10
                $0.tags = ["x"]
            }
            func update(_ change: (inout Halo_Video_V1_UpdateVideoRequest) -> Void) async throws -> Halo_Video_V1_Video
            {
                var request = Halo_Video_V1_UpdateVideoRequest.with { $0.id = video.id }
                change(&request)
                return try await harness.call(VideoService.Methods.updateVideo, request, as: owner)
            }
            let unchanged = try await update { _ in }
            #expect(unchanged == video)

            let cleared = try await update {
                $0.thumbnailURL = ""
                $0.tags = Google_Protobuf_ListValue()
                $0.durationSeconds = 0
                $0.isAdult = true
            }
            #expect(cleared.thumbnailURL == "" && cleared.tags.isEmpty && cleared.durationSeconds == 0)
            #expect(cleared.isAdult)
            #expect(cleared.title == "t" && cleared.description_p == "d" && cleared.streamURL == video.streamURL)

            let tagged = try await update {
                $0.tags = Google_Protobuf_ListValue(
                    values: ["b", "a", "b"].map { Google_Protobuf_Value(stringValue: $0) })
            }
            #expect(tagged.tags == ["b", "a"])
            #expect(tagged.isAdult)
            // Now marked adult, it is visible to adult callers only.
            #expect(try await harness.get(video.id, as: .user(adult: true)).tags == ["b", "a"])
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func updateRejectsEachInvalidField(_ dialect: ServiceDatabase.Dialect) async throws {
        try await VideoHarness.with(dialect) { harness in
            let owner = Caller.user()
            let video = try await harness.create(owner, title: "keep")
            let cases: [(String, (inout Halo_Video_V1_UpdateVideoRequest) -> Void)] = [
                ("id", { $0.id = "nope" }),
                ("id", { $0.id = "" }),
                ("title", { $0.title = "" }),
                ("title", { $0.title = String(repeating: "x", count: 201) }),
                ("description", { $0.description_p = String(repeating: "x", count: 5001) }),
                ("thumbnail_url", { $0.thumbnailURL = "data:image/png;base64,AAAA" }),
                ("stream_url", { $0.streamURL = "ws://example.com/live" }),
                ("duration_seconds", { $0.durationSeconds = -1 }),
                (
                    "tags[1]",
                    { $0.tags = Google_Protobuf_ListValue(values: [.init(stringValue: "ok"), .init(numberValue: 7)]) }
                ),
                ("tags[0]", { $0.tags = Google_Protobuf_ListValue(values: [.init(nilLiteral: ())]) }),
                ("tags[0]", { $0.tags = Google_Protobuf_ListValue(values: [.init(boolValue: true)]) }),
                ("tags[0]", { $0.tags = Google_Protobuf_ListValue(values: [.init(listValue: .init())]) }),
                ("tags[0]", { $0.tags = Google_Protobuf_ListValue(values: [.init(structValue: .init())]) }),
                ("tags[0]", { $0.tags = Google_Protobuf_ListValue(values: [.init(stringValue: "")]) }),
                (
                    "tags",
                    { $0.tags = Google_Protobuf_ListValue(values: (0..<21).map { .init(stringValue: "t\($0)") }) }
                ),
            ]
            for (field, change) in cases {
                var request = Halo_Video_V1_UpdateVideoRequest.with { $0.id = video.id }
                change(&request)
                let error = await harness.failure(
                    VideoService.Methods.updateVideo, request, as: owner, returning: Halo_Video_V1_Video.self)
                #expect(error?.code == .invalidArgument, "\(field)")
                #expect(error?.message.hasPrefix(field + ":") == true, "\(field): \(error?.message ?? "")")
            }
            #expect(try await harness.get(video.id) == video)
            let unknown = await harness.failure(
                VideoService.Methods.updateVideo,
                Halo_Video_V1_UpdateVideoRequest.with {
                    $0.id = UUID().uuidString
                    $0.title = "x"
                }, as: owner, returning: Halo_Video_V1_Video.self)
            #expect(unknown?.code == .notFound)
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func adultVideosExistOnlyForAdults(_ dialect: ServiceDatabase.Dialect) async throws {
        let clock = TestClock()
        try await VideoHarness.with(dialect, now: clock.tick) { harness in
            let owner = Caller.user(adult: true)
            let adultCaller = Caller.user(adult: true)
            let minor = Caller.user()
            let adminNotAdult = Caller.user(admin: true)
            let general = try await harness.create(owner, title: "general")
            let adult = try await harness.create(owner, title: "adult", adult: true)

            #expect(try await harness.get(adult.id, as: adultCaller) == adult)
            for caller in [Caller.anonymous, minor, adminNotAdult] {
                let hidden = await harness.failure(
                    VideoService.Methods.getVideo, Halo_Video_V1_GetVideoRequest.with { $0.id = adult.id }, as: caller,
                    returning: Halo_Video_V1_Video.self)
                #expect(hidden?.code == .notFound)
                #expect(hidden?.message == "video not found")
                #expect(try await harness.list(as: caller).videos.map(\.id) == [general.id])
                let owned = try await harness.list(as: caller) { $0.ownerID = owner.userID!.uuidString }
                #expect(owned.videos.map(\.id) == [general.id])
            }
            #expect(try await harness.list(as: adultCaller).videos.map(\.id) == [adult.id, general.id])

            // A hidden video's existence does not leak through writes either.
            let update = Halo_Video_V1_UpdateVideoRequest.with {
                $0.id = adult.id
                $0.title = "x"
            }
            let probe = await harness.failure(
                VideoService.Methods.updateVideo, update, as: minor, returning: Halo_Video_V1_Video.self)
            #expect(probe?.code == .notFound)
            let visibleButNotTheirs = await harness.failure(
                VideoService.Methods.updateVideo, update, as: adultCaller, returning: Halo_Video_V1_Video.self)
            #expect(visibleButNotTheirs?.code == .permissionDenied)
            // An admin may still moderate it.
            let moderated: Halo_Video_V1_Video = try await harness.call(
                VideoService.Methods.updateVideo,
                Halo_Video_V1_UpdateVideoRequest.with {
                    $0.id = adult.id
                    $0.isAdult = true
                    $0.title = "moderated"
                }, as: adminNotAdult)
            #expect(moderated.title == "moderated")
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func batchGetKeepsOrderAndHidesWhatItMust(_ dialect: ServiceDatabase.Dialect) async throws {
        let clock = TestClock()
        try await VideoHarness.with(dialect, now: clock.tick) { harness in
            let owner = Caller.user()
            let first = try await harness.create(owner, title: "1")
            let second = try await harness.create(owner, title: "2")
            let adult = try await harness.create(owner, title: "3", adult: true)
            let ids = [second.id, UUID().uuidString, first.id, adult.id, second.id.uppercased()]

            func batch(_ ids: [String], as caller: Caller) async throws -> [String] {
                let response: Halo_Video_V1_BatchGetVideosResponse = try await harness.call(
                    VideoService.Methods.batchGetVideos, Halo_Video_V1_BatchGetVideosRequest.with { $0.ids = ids },
                    as: caller)
                return response.videos.map(\.id)
            }
            #expect(try await batch(ids, as: .anonymous) == [second.id, first.id])
            #expect(try await batch(ids, as: .user(adult: true)) == [second.id, first.id, adult.id])
            #expect(try await batch([], as: .anonymous) == [])
            #expect(try await batch((0..<100).map { _ in UUID().uuidString }, as: .anonymous) == [])

            let tooMany = await harness.failure(
                VideoService.Methods.batchGetVideos,
                Halo_Video_V1_BatchGetVideosRequest.with { $0.ids = (0..<101).map { _ in UUID().uuidString } },
                returning: Halo_Video_V1_BatchGetVideosResponse.self)
            #expect(tooMany?.code == .invalidArgument && tooMany?.message.hasPrefix("ids:") == true)
            let malformed = await harness.failure(
                VideoService.Methods.batchGetVideos,
                Halo_Video_V1_BatchGetVideosRequest.with { $0.ids = [first.id, "x' OR 'a'='a"] },
                returning: Halo_Video_V1_BatchGetVideosResponse.self)
            #expect(malformed?.code == .invalidArgument && malformed?.message.hasPrefix("ids[1]:") == true)
        }
    }
}
