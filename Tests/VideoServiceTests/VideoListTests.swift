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

@Suite struct VideoListTests {
    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func pagesAndNextOffset(_ dialect: ServiceDatabase.Dialect) async throws {
        let clock = TestClock()
        try await VideoHarness.with(dialect, now: clock.tick) { harness in
            let owner = Caller.user()
            var created: [String] = []
            for index in 0..<25 { created.append(try await harness.create(owner, title: "video \(index)").id) }
            let newestFirst = Array(created.reversed())

            let first = try await harness.list()
            #expect(first.videos.map(\.id) == Array(newestFirst[0..<20]))
            #expect(first.hasNextOffset && first.nextOffset == 20)

            let second = try await harness.list { $0.offset = 20 }
            #expect(second.videos.map(\.id) == Array(newestFirst[20..<25]))
            #expect(!second.hasNextOffset)

            let exact = try await harness.list { $0.limit = 25 }
            #expect(exact.videos.count == 25 && !exact.hasNextOffset)
            let oneShort = try await harness.list { $0.limit = 24 }
            #expect(oneShort.videos.count == 24 && oneShort.nextOffset == 24)
            let lastFull = try await harness.list {
                $0.limit = 5; $0.offset = 20
            }
            #expect(lastFull.videos.count == 5 && !lastFull.hasNextOffset)
            let largest = try await harness.list { $0.limit = 100 }
            #expect(largest.videos.count == 25 && !largest.hasNextOffset)
            let one = try await harness.list {
                $0.limit = 1; $0.offset = 3
            }
            #expect(one.videos.map(\.id) == [newestFirst[3]] && one.nextOffset == 4)

            let beyond = try await harness.list { $0.offset = 25 }
            #expect(beyond.videos.isEmpty && !beyond.hasNextOffset)
            let deepest = try await harness.list { $0.offset = Int32(VideoLimits.maxOffset) }
            #expect(deepest.videos.isEmpty && !deepest.hasNextOffset)
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func outOfRangeWindowsAreInvalid(_ dialect: ServiceDatabase.Dialect) async throws {
        try await VideoHarness.with(dialect) { harness in
            // A limit that is present must be in range: 0 is not "the default" (that is absent).
            for limit: Int32 in [0, -1, 101, 1_000_000_000, .min] {
                let error = await harness.listFailure { $0.limit = limit }
                #expect(error?.code == .invalidArgument, "limit \(limit)")
                #expect(error?.message.hasPrefix("limit:") == true)
            }
            for offset: Int32 in [-1, -5, Int32(VideoLimits.maxOffset) + 1, .max] {
                let error = await harness.listFailure { $0.offset = offset }
                #expect(error?.code == .invalidArgument, "offset \(offset)")
                #expect(error?.message.hasPrefix("offset:") == true)
            }
            for owner in ["nope", "' OR 1=1 --"] {
                let error = await harness.listFailure { $0.ownerID = owner }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.hasPrefix("owner_id:") == true)
            }
            let both = await harness.listFailure {
                $0.limit = 0
                $0.offset = -1
                $0.ownerID = "x"
            }
            #expect(both?.message.contains("offset:") == true && both?.message.contains("owner_id:") == true)
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func equalTimestampsOrderByIdDescending(_ dialect: ServiceDatabase.Dialect) async throws {
        let clock = TestClock()
        try await VideoHarness.with(dialect, now: clock.frozen) { harness in
            let owner = Caller.user()
            var ids: [String] = []
            for index in 0..<7 { ids.append(try await harness.create(owner, title: "same time \(index)").id) }
            let page = try await harness.list()
            #expect(Set(page.videos.map(\.createdAt)).count == 1)
            #expect(page.videos.map(\.id) == ids.sorted(by: >))
            // The tiebreak makes pages stable: walking pages of 2 gives the same order, no repeats.
            var walked: [String] = []
            var offset: Int32 = 0
            while true {
                let next = try await harness.list {
                    $0.limit = 2; $0.offset = offset
                }
                walked += next.videos.map(\.id)
                guard next.hasNextOffset else { break }
                offset = next.nextOffset
            }
            #expect(walked == ids.sorted(by: >))
        }
    }

    @Test(arguments: ServiceDatabase.Dialect.allCases)
    func filtersByLiveAndOwner(_ dialect: ServiceDatabase.Dialect) async throws {
        let clock = TestClock()
        try await VideoHarness.with(dialect, now: clock.tick) { harness in
            let alice = Caller.user()
            let bob = Caller.user()
            let aliceLive = try await harness.create(alice, title: "alice live", live: true)
            let aliceVod = try await harness.create(alice, title: "alice vod")
            let bobLive = try await harness.create(bob, title: "bob live", live: true)
            let bobVod = try await harness.create(bob, title: "bob vod")

            #expect(try await harness.list().videos.map(\.id) == [bobVod.id, bobLive.id, aliceVod.id, aliceLive.id])
            #expect(try await harness.list { $0.live = true }.videos.map(\.id) == [bobLive.id, aliceLive.id])
            #expect(try await harness.list { $0.live = false }.videos.map(\.id) == [bobVod.id, aliceVod.id])
            let alices = try await harness.list { $0.ownerID = alice.userID!.uuidString }
            #expect(alices.videos.map(\.id) == [aliceVod.id, aliceLive.id])
            let bobsLive = try await harness.list {
                $0.ownerID = bob.userID!.lowercasedString
                $0.live = true
            }
            #expect(bobsLive.videos.map(\.id) == [bobLive.id])
            let nobody = try await harness.list { $0.ownerID = UUID().uuidString }
            #expect(nobody.videos.isEmpty && !nobody.hasNextOffset)
        }
    }
}
