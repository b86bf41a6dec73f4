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

@Suite struct VideoCreateTests {
    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func createThenGetRoundTrips(_ dialect: ServiceDatabase.Dialect) async throws {
        let clock = TestClock()
        try await VideoHarness.with(dialect, now: clock.tick) { harness in
            let owner = Caller.user()
            let created = try await harness.create(owner, title: "Launch stream 🚀") {
                $0.description_p = "Line one\nLine two\twith tab"
                $0.thumbnailURL = "https://cdn.example.com/t.jpg"
                $0.streamURL = "rtmp://live.example.com/app/key"
                $0.durationSeconds = 3600
                $0.isLive = true
                $0.tags = ["space", "launch", "space", "live"]
            }
            #expect(created.ownerID == owner.userID!.lowercasedString)
            let id = try #require(UUID(uuidString: created.id))
            #expect(created.id == id.lowercasedString)
            #expect(id.uuid.6 >> 4 == 7)
            #expect(created.tags == ["space", "launch", "live"])
            #expect(created.createdAt == created.updatedAt)
            #expect(created.createdAt.seconds == 1_767_225_600)

            let fetched = try await harness.get(created.id)
            #expect(fetched == created)
            #expect(fetched.title == "Launch stream 🚀")
            #expect(fetched.description_p == "Line one\nLine two\twith tab")
            #expect(fetched.streamURL == "rtmp://live.example.com/app/key")
            #expect(fetched.durationSeconds == 3600)
            #expect(fetched.isLive && !fetched.isAdult)
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func createNeedsAUser(_ dialect: ServiceDatabase.Dialect) async throws {
        try await VideoHarness.with(dialect) { harness in
            let request = Halo_Video_V1_CreateVideoRequest.with { $0.title = "t" }
            let anonymous = await harness.failure(
                VideoService.Methods.createVideo, request, returning: Halo_Video_V1_Video.self)
            #expect(anonymous?.code == .unauthenticated)
            var forged = Caller.anonymous.metadata
            forged.add(Identity.userIDKey, "admin")
            do {
                _ = try await harness.client.unary(
                    VideoService.Methods.createVideo, request, as: Halo_Video_V1_Video.self,
                    options: CallOptions(metadata: forged))
                Issue.record("a malformed user id was accepted")
            } catch let error as RPCError {
                #expect(error.code == .unauthenticated)
            }
            #expect(try await harness.list().videos.isEmpty)
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func boundaryValuesAreAccepted(_ dialect: ServiceDatabase.Dialect) async throws {
        try await VideoHarness.with(dialect) { harness in
            let video = try await harness.create(.user(), title: String(repeating: "t", count: 200)) {
                $0.description_p = String(repeating: "d", count: 5000)
                $0.tags = (0..<20).map { "tag\($0)" + String(repeating: "x", count: 32 - "tag\($0)".count) }
                $0.durationSeconds = 0
                $0.thumbnailURL = "http://example.com/" + String(repeating: "a", count: 2048 - 19)
                $0.streamURL = "HTTPS://example.com/live.m3u8"
            }
            #expect(video.title.count == 200)
            #expect(video.tags.count == 20)
            #expect(video.thumbnailURL.count == 2048)
            #expect(try await harness.get(video.id) == video)
        }
    }

    /// Each case breaks one field; the answer is INVALID_ARGUMENT naming it.
    static let invalidCreates: [(field: String, change: @Sendable (inout Halo_Video_V1_CreateVideoRequest) -> Void)] = [
        ("title", { $0.title = "" }),
        ("title", { $0.title = "   \t " }),
        ("title", { $0.title = String(repeating: "x", count: 201) }),
        ("title", { $0.title = "nul\u{0}inside" }),
        ("title", { $0.title = "two\nlines" }),
        ("description", { $0.description_p = String(repeating: "x", count: 5001) }),
        ("description", { $0.description_p = "bell\u{7}" }),
        ("thumbnail_url", { $0.thumbnailURL = "ftp://example.com/t.jpg" }),
        ("thumbnail_url", { $0.thumbnailURL = "javascript:alert(1)" }),
        ("thumbnail_url", { $0.thumbnailURL = "not a url" }),
        ("thumbnail_url", { $0.thumbnailURL = "https://" }),
        ("thumbnail_url", { $0.thumbnailURL = "/relative/path.jpg" }),
        ("thumbnail_url", { $0.thumbnailURL = "https://example.com/" + String(repeating: "a", count: 2030) }),
        ("stream_url", { $0.streamURL = "file:///etc/passwd" }),
        ("stream_url", { $0.streamURL = "https://example.com/a b" }),
        ("duration_seconds", { $0.durationSeconds = -1 }),
        ("duration_seconds", { $0.durationSeconds = Int32.min }),
        ("tags", { $0.tags = (0..<21).map { "t\($0)" } }),
        ("tags[1]", { $0.tags = ["ok", ""] }),
        ("tags[0]", { $0.tags = [String(repeating: "x", count: 33)] }),
        ("tags[2]", { $0.tags = ["a", "b", "line\nbreak"] }),
        ("tags[0]", { $0.tags = ["  "] }),
    ]

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func everyInvalidFieldIsNamed(_ dialect: ServiceDatabase.Dialect) async throws {
        try await VideoHarness.with(dialect) { harness in
            let owner = Caller.user()
            for (field, change) in Self.invalidCreates {
                var request = Halo_Video_V1_CreateVideoRequest.with { $0.title = "valid" }
                change(&request)
                let error = await harness.failure(
                    VideoService.Methods.createVideo, request, as: owner, returning: Halo_Video_V1_Video.self)
                #expect(error?.code == .invalidArgument, "\(field)")
                #expect(error?.message.hasPrefix(field + ":") == true, "\(field): \(error?.message ?? "")")
            }
            // Several at once: each is named.
            let request = Halo_Video_V1_CreateVideoRequest.with {
                $0.title = ""
                $0.durationSeconds = -5
                $0.streamURL = "gopher://x"
            }
            let error = await harness.failure(
                VideoService.Methods.createVideo, request, as: owner, returning: Halo_Video_V1_Video.self)
            for field in ["title:", "duration_seconds:", "stream_url:"] {
                #expect(error?.message.contains(field) == true, "\(error?.message ?? "")")
            }
            // Nothing was stored by any of them.
            let stored = try await harness.list(as: owner)
            #expect(stored.videos.isEmpty)
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func malformedIdsAreInvalidAndUnknownOnesNotFound(_ dialect: ServiceDatabase.Dialect) async throws {
        try await VideoHarness.with(dialect) { harness in
            _ = try await harness.create(.user())
            for id in [
                "", "abc", "' OR '1'='1", "1;DROP TABLE videos--", "../../admin", "%00",
                "00000000-0000-0000-0000-00000000000g", "{00000000-0000-0000-0000-000000000000}",
            ] {
                let error = await harness.failure(
                    VideoService.Methods.getVideo, Halo_Video_V1_GetVideoRequest.with { $0.id = id },
                    returning: Halo_Video_V1_Video.self)
                #expect(error?.code == .invalidArgument, "\(id)")
                #expect(error?.message.hasPrefix("id:") == true)
            }
            let unknown = await harness.failure(
                VideoService.Methods.getVideo, Halo_Video_V1_GetVideoRequest.with { $0.id = UUID().uuidString },
                returning: Halo_Video_V1_Video.self)
            #expect(unknown?.code == .notFound)
            #expect(try await harness.list().videos.count == 1)
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func injectionLookingStringsAreStoredLiterally(_ dialect: ServiceDatabase.Dialect) async throws {
        try await VideoHarness.with(dialect) { harness in
            let owner = Caller.user()
            let title = "'; DROP TABLE videos; --"
            let description = "Robert'); DROP TABLE students;-- \" \\ %_ $(id) `id` <script>alert(1)</script>"
            let tags = ["' OR 1=1 --", "$(id)", "{\"$gt\":\"\"}", "%00", "\\x00", "a'b\"c"]
            let video = try await harness.create(owner, title: title) {
                $0.description_p = description
                $0.tags = tags
                $0.streamURL = "https://example.com/watch?v=1'OR'1'='1"
            }
            let fetched = try await harness.get(video.id)
            #expect(fetched.title == title)
            #expect(fetched.description_p == description)
            #expect(fetched.tags == tags)
            #expect(fetched.streamURL == "https://example.com/watch?v=1'OR'1'='1")
            let page = try await harness.list(as: owner) { $0.ownerID = owner.userID!.lowercasedString }
            #expect(page.videos.map(\.id) == [video.id])
        }
    }
}
