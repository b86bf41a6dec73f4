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

    @Test func batchReadsTakeOneRoundTrip() async throws {
        let connection = try await TestEnvironment.redis()
        defer { connection.close() }
        let store = RedisEngagementStore(client: connection)
        let now = Date()
        let ids = (0..<50).map { _ in UUID().uuidString.lowercased() }
        for (index, id) in ids.enumerated() {
            for _ in 0..<index % 3 { _ = try await store.apply(.view, to: id, at: now) }
            if index % 2 == 0 { _ = try await store.apply(.like(user: "u1"), to: id, at: now) }
        }

        let counting = CountingClient(base: connection)
        let counts = try await RedisEngagementStore(client: counting).counts(of: ids, likedBy: "u1", at: now)
        #expect(counting.pipelines.load(ordering: .relaxed) == 1)
        #expect(counting.sends.load(ordering: .relaxed) == 0)
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
}
