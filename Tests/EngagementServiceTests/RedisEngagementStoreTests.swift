import EngagementService
import Foundation
import NIOCore
import NIOPosix
import Redis
import Synchronization
import Testing

/// The store on its own, against the shared Redis.
@Suite struct RedisEngagementStoreTests {
    /// A client that counts what goes over the wire.
    final class CountingClient: RedisClient {
        let base: any RedisClient
        let sends = Atomic<Int>(0)
        let pipelines = Atomic<Int>(0)

        init(base: any RedisClient) {
            self.base = base
        }

        func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
            self.sends.add(1, ordering: .relaxed)
            return self.base.send(command)
        }

        func pipeline(_ commands: [RedisCommand]) -> EventLoopFuture<[RESPValue]> {
            self.pipelines.add(1, ordering: .relaxed)
            return self.base.pipeline(commands)
        }
    }

    @Test func batchReadsTakeOneCommand() async throws {
        let connection = try await TestEnvironment.redis()
        defer { connection.close() }
        let store = RedisEngagementStore(client: connection)
        let now = Date()
        let ids = (0..<50).map { _ in UUID().uuidString.lowercased() }
        for (index, id) in ids.enumerated() {
            for _ in 0..<index % 3 { _ = try await store.apply(.view, to: id, at: now) }
            if index % 2 == 0 { _ = try await store.apply(.like(user: "u1"), to: id, at: now) }
        }

        // The first read may load the script (EVALSHA answers NOSCRIPT, EVAL follows); later ones are one EVALSHA.
        _ = try await store.counts(of: ids, likedBy: "u1", at: now)
        let counting = CountingClient(base: connection)
        let counts = try await RedisEngagementStore(client: counting).counts(of: ids, likedBy: "u1", at: now)
        #expect(counting.sends.load(ordering: .relaxed) == 1)
        #expect(counting.pipelines.load(ordering: .relaxed) == 0)
        #expect(counts.count == ids.count)
        for (index, id) in ids.enumerated() {
            #expect(counts[id]?.views == Int64(index % 3))
            #expect(counts[id]?.likes == (index % 2 == 0 ? 1 : 0))
            #expect(counts[id]?.liked == (index % 2 == 0))
        }
    }

    @Test func changesReportWhetherTheyChangedAnything() async throws {
        let connection = try await TestEnvironment.redis()
        defer { connection.close() }
        let store = RedisEngagementStore(client: connection, presenceWindow: .seconds(60))
        let id = UUID().uuidString.lowercased()
        let start = Date()
        #expect(try await store.apply(.like(user: "a"), to: id, at: start).changed)
        #expect(try await store.apply(.like(user: "a"), to: id, at: start).changed == false)
        #expect(try await store.apply(.unlike(user: "b"), to: id, at: start).changed == false)
        #expect(try await store.apply(.heartbeat(viewer: "v"), to: id, at: start).changed)
        #expect(try await store.apply(.heartbeat(viewer: "v"), to: id, at: start + 10).changed == false)
        // At start + 70 the heartbeat of start + 10 is still live; at start + 71 it is not.
        #expect(try await store.apply(.view, to: id, at: start + 69.9).counts.liveViewers == 1)
        let expired = try await store.apply(.unlike(user: "b"), to: id, at: start + 71)
        #expect(expired.changed)
        #expect(expired.counts.liveViewers == 0)
        #expect(expired.counts.seq == 4)
        #expect(expired.counts.views == 1)
        #expect(expired.counts.likes == 1)
    }

    @Test func oneVideoReadsTheSameAsABatch() async throws {
        let connection = try await TestEnvironment.redis()
        defer { connection.close() }
        let store = RedisEngagementStore(client: connection, presenceWindow: .seconds(60))
        let id = UUID().uuidString.lowercased()
        let start = Date()
        _ = try await store.apply(.view, to: id, at: start)
        _ = try await store.apply(.comment, to: id, at: start)
        _ = try await store.apply(.like(user: "a"), to: id, at: start)
        _ = try await store.apply(.heartbeat(viewer: "v"), to: id, at: start)
        _ = try await store.apply(.heartbeat(viewer: "w"), to: id, at: start + 30)

        let one = try await store.counts(ofVideo: id, likedBy: "a", at: start + 60.5)
        #expect(one == StoredCounts(views: 1, likes: 1, comments: 1, liveViewers: 1, liked: true, seq: 5))
        #expect(try await store.counts(of: [id], likedBy: "a", at: start + 60.5)[id] == one)
        // No user: liked is false; another user: false too.
        #expect(try await store.counts(ofVideo: id, likedBy: nil, at: start + 59.5).liked == false)
        #expect(try await store.counts(ofVideo: id, likedBy: "b", at: start + 59.5).liveViewers == 2)
        // A video never written reads as zeros.
        let unknown = UUID().uuidString.lowercased()
        #expect(try await store.counts(ofVideo: unknown, likedBy: "a", at: start) == StoredCounts())
    }

    @Test func aKeyOfTheWrongTypeFailsTheRead() async throws {
        let connection = try await TestEnvironment.redis()
        defer { connection.close() }
        let store = RedisEngagementStore(client: connection)
        let id = UUID().uuidString.lowercased()
        _ = try await connection.send(RedisCommand("SET", .string(EngagementKeys(videoID: id).counters), "x"))
        let error = await #expect(throws: RedisError.self) {
            try await store.counts(ofVideo: id, likedBy: nil, at: Date())
        }
        #expect(error?.code == .serverError)
    }
}
